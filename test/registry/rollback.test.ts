// Rollback: a stage goes back one version in one transaction, a run in flight finishes on the
// version it started with while new runs start on the earlier one, a second rollback goes one
// further back (never forward to the version rolled back from), and each is audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { rollbackStage, rollbackTarget } from '../../src/registry/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const version = (title: string) => `
id: kit
title: ${title}
owner: people@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Check it
  - id: done
    kind: transform
    expression: '{ "title": "${title}" }'
`;

describe('the rollback target', () => {
  const d = (version_id: string, previous_version_id: string | null, action: 'deploy' | 'rollback' = 'deploy') => ({ action, version_id, previous_version_id });
  it('is the version before the current one, skipping versions rolled back from', () => {
    expect(rollbackTarget('v3', [d('v3', 'v2'), d('v2', 'v1'), d('v1', null)])).toBe('v2');
    expect(rollbackTarget('v2', [d('v2', 'v3', 'rollback'), d('v3', 'v2'), d('v2', 'v1'), d('v1', null)])).toBe('v1');
    expect(rollbackTarget('v4', [d('v4', 'v2'), d('v2', 'v3', 'rollback'), d('v3', 'v2'), d('v2', 'v1')])).toBe('v2');
    expect(rollbackTarget('v1', [d('v1', null)])).toBeNull();
  });
});

describe.each(testDatabases())('rollback on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    expect(engine.errors).toEqual([]);
    await db.close();
  });

  it('moves production back one version per call; runs in flight finish on their own version', async () => {
    const v1 = (await deploy(db, version('one'))).version;
    const v2 = (await deploy(db, version('two'))).version;
    await deploy(db, version('three'));
    const inFlight = (await startRun(db, { workflowId: 'kit', stage: 'production', trigger: 'manual', input: {} })).run;
    await waitForRun(db, inFlight.id, ['waiting']);

    const first = await rollbackStage(db, 'kit', 'production', 'ops@example.com');
    expect(first).toMatchObject({ from: { number: 3 }, deployment: { stage: 'production', version_number: 2, version_id: v2.id } });
    const [task] = await listReviews(db, { runId: inFlight.id });
    await decideReview(db, { target: { reviewId: task!.id }, decision: 'approve', actor: 'lead@example.com' }, wakeRun);
    expect((await waitForRun(db, inFlight.id, ['succeeded'])).output).toEqual({ title: 'three' });
    const after = (await startRun(db, { workflowId: 'kit', stage: 'production', trigger: 'manual', input: {} })).run;
    expect(after.version_id).toBe(v2.id);

    const second = await rollbackStage(db, 'kit', 'production', 'ops@example.com');
    expect(second).toMatchObject({ from: { number: 2 }, deployment: { version_number: 1, version_id: v1.id } });
    await expect(rollbackStage(db, 'kit', 'production', 'ops@example.com')).rejects.toMatchObject({ code: 'conflict' });
    await expect(rollbackStage(db, 'kit', 'sandbox', 'ops@example.com')).rejects.toMatchObject({ code: 'not_deployed' });
    await expect(rollbackStage(db, 'nope', 'production', 'ops@example.com')).rejects.toMatchObject({ code: 'not_found' });
    const audit = await db.query<{ actor: string; data: { stage: string; version: string; previous: string } }>(
      `SELECT actor, data FROM audit_events WHERE action = 'deployment:rolled_back' ORDER BY id`,
    );
    expect(audit.rows.map((r) => [r.actor, r.data.version])).toEqual([['ops@example.com', v2.id], ['ops@example.com', v1.id]]);
  });

  it('answers the rollback route with the stage after it and the version it left', async () => {
    await deploy(db, version('one'));
    await deploy(db, version('two'));
    const api = await contractChecker(withToken(testHttpApp(db), (await createTestIdentity(db)).token));
    const r = await api.call('POST', '/api/workflows/{id}/deployments/{stage}/rollback', '/api/workflows/kit/deployments/production/rollback', undefined, 200);
    expect(r.body).toMatchObject({ deployment: { version_number: 1 }, from: { number: 2 } });
    await api.call('POST', '/api/workflows/{id}/deployments/{stage}/rollback', '/api/workflows/kit/deployments/production/rollback', undefined, 409);
  });
});
