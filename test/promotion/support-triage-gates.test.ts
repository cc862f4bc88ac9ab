// The roadmap the seeds ask for, enforced on the shipped support-triage example over HTTP: a version
// reaches testing only with a labelled dataset, sandbox only when its eval passes and someone other
// than its author signs, production only with a decided sandbox sample whose error rate is accepted
// in writing, a rollback drill that ran, monitors, a complete runbook and owner map, and the owner's
// sign-off. After promotion, a bad version that went the same way is rolled back with one call.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFileGrants, connectorKinds, loadConnectorFiles, type ConnectorFileGrants } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { advanceEvalRuns } from '../../src/evals/index.js';
import { readLabelledFile, storeClassifierVersion, trainClassifier, type ClassifierModel } from '../../src/models/index.js';
import { loadLibraryFolder } from '../../src/prompts/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { testEngine, testSecretKey, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const shipped = readFileSync('workflows/support-triage.yaml', 'utf8');
/** An earlier draft of the example: the same file with another description (not a governed change). */
const draft = shipped.replace('Labels incoming bank customer messages', 'Labels (draft) incoming bank customer messages');
/** A later version that lowers the classifier's confidence floor: a governed change (approval boundary). */
const lowered = shipped.replace('min_confidence: 0.3', 'min_confidence: 0.05');

let banking77: ClassifierModel;
let cases: string;
beforeAll(async () => {
  const rows = await readLabelledFile('workflows/data/banking77/train.csv', { textColumn: 'text', labelColumn: 'category' });
  banking77 = await trainClassifier(rows, { seed: 77 });
  // 60 real BANKING77 messages with their intent, as whole inputs of the workflow's contract.
  cases = rows.filter((_, i) => i % 150 === 0).slice(0, 60)
    .map((r, i) => JSON.stringify({ input: { ticket_id: `E-${i}`, text: r.text, customer_email: 'case@example.com' }, expected: { label: r.label } })).join('\n');
}, 120_000);

type Api = Awaited<ReturnType<typeof contractChecker>>;

describe.each(testDatabases())('support-triage through its gates on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  let grants: ConnectorFileGrants[];
  let builder: Api;
  let approver: Api;
  let owner: Api;

  const gated = (token: string) => withToken(testHttpApp(db, { gates: { enforce: true } }), token);

  beforeAll(async () => {
    db = await database.open();
    await storeClassifierVersion(db, { name: 'banking77', model: banking77, datasetName: 'train.csv', datasetHash: 'test', rows: 10_003, actor: 'test' });
    await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'test', logger: { info() {}, warn() {} } });
    const dir = mkdtempSync(join(tmpdir(), 'keel-gates-connectors-'));
    for (const name of ['helpdesk', 'support-mail']) copyFileSync(`connectors/${name}.yaml`, join(dir, `${name}.yaml`));
    const loaded = await loadConnectorFiles({ db, kinds: connectorKinds, secretKey: testSecretKey, env: {}, logError: (m) => expect.fail(m), logInfo() {} }, dir);
    rmSync(dir, { recursive: true, force: true });
    grants = loaded.grants;
    // The author holds the approver role too, so the refusal below is about authorship, not the role.
    builder = await contractChecker(gated((await createTestIdentity(db, ['builder', 'approver'], 'builder@example.com')).token));
    approver = await contractChecker(gated((await createTestIdentity(db, ['approver'], 'ops-manager@example.com')).token));
    owner = await contractChecker(gated((await createTestIdentity(db, ['viewer'], 'support-lead@example.com')).token));
    engine = testEngine(db, { models: { configs: { banking77: { provider: 'classifier', dataset: 'train.csv', textColumn: 'text', labelColumn: 'category' }, default: { provider: 'template' } }, providerKeys: {} } });
    await engine.startWorkers();
  }, 60_000);
  afterAll(async () => {
    await engine.stop();
    await db.close();
  });

  async function deployToDesign(source: string): Promise<number> {
    const r = await builder.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source, source_name: 'workflows/support-triage.yaml', stage: 'design' }, 200);
    await applyFileGrants(db, grants, { logError: (m) => expect.fail(m), logInfo() {} });
    return (r.body.version as unknown as { number: number }).number;
  }

  async function promote(to: string, version: number, status: number): Promise<string[]> {
    const r = await builder.call('POST', '/api/workflows/{id}/promote', '/api/workflows/support-triage/promote', { to, version: String(version) }, status);
    if (status === 200) return [];
    expect(r.body.code).toBe('gate_not_met');
    return (r.body.problems as unknown as Array<{ path: string }>).map((p) => p.path).sort();
  }

  async function evalPasses(version: number): Promise<void> {
    const started = await builder.call('POST', '/api/workflows/{id}/evals', '/api/workflows/support-triage/evals', { version: String(version), concurrency: 8 }, 201);
    const id = started.body.id as unknown as string;
    for (let i = 0; ; i++) {
      await advanceEvalRuns({ db, onError: (m, e) => { throw e; } });
      const r = await builder.call('GET', '/api/workflows/{id}/evals/{evalId}', `/api/workflows/support-triage/evals/${id}`, undefined, 200);
      if (r.body.status !== 'running') {
        expect(r.body).toMatchObject({ status: 'finished', total: 60, summary: { meetsThreshold: true } });
        return;
      }
      if (i > 1500) throw new Error(`eval ${id} still running`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function sign(api: Api, stage: string, version: number, role: string, status: number, statement = `Checked v${version} for ${stage}: the figures and the sample hold up.`) {
    return api.call('POST', '/api/workflows/{id}/gates/{stage}/signoffs', `/api/workflows/support-triage/gates/${stage}/signoffs`, { version: String(version), role, statement }, status);
  }

  /** Live sandbox runs of real messages, each waiting at the boundary (sandbox sends every output to review), decided by a reviewer. */
  async function sandboxSample(n: number, edits: number): Promise<void> {
    const runs = [];
    for (let i = 0; i < n; i++) {
      const { run } = await startRun(db, { workflowId: 'support-triage', stage: 'sandbox', trigger: 'manual', input: { ticket_id: `S-${i}-${Date.now()}`, text: 'My card has still not arrived after two weeks, where is it?', customer_email: 'a@example.com' } });
      runs.push(run.id);
    }
    for (const id of runs) await waitForRun(db, id, ['waiting'], 30_000);
    for (const [i, id] of runs.entries()) {
      const [task] = await listReviews(db, { runId: id });
      const edit = i < edits;
      await decideReview(db, {
        target: { reviewId: task!.id }, decision: edit ? 'edit' : 'approve', actor: 'reviewer@example.com', actorRoles: ['reviewer'],
        output: edit ? { intent: 'card_arrival', confidence: 0.9, reply: 'Your card is on its way; it arrives within 7 working days.' } : undefined,
      }, wakeRun);
    }
    for (const id of runs) await waitForRun(db, id, ['succeeded'], 30_000);
  }

  it('moves v1 through testing and sandbox only when the dataset, the eval and a non-author sign-off are there', async () => {
    const v1 = await deployToDesign(draft);
    // Deploying straight into a gated stage is refused whole: nothing is stored.
    const straight = await builder.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: shipped, source_name: 'x.yaml', stage: 'production' }, 409);
    expect(straight.body.code).toBe('gate_not_met');
    expect((await db.query(`SELECT count(*)::int AS n FROM workflow_versions WHERE workflow_id = 'support-triage'`)).rows[0]).toEqual({ n: 1 });

    expect(await promote('testing', v1, 409)).toEqual(['dataset']);
    await builder.call('POST', '/api/workflows/{id}/datasets/{dataset}/import', '/api/workflows/support-triage/datasets/default/import', { format: 'jsonl', content: cases }, 201);
    await promote('testing', v1, 200);

    expect(await promote('sandbox', v1, 409)).toEqual(['eval', 'signoff:approver']);
    await evalPasses(v1);
    const byAuthor = await sign(builder, 'sandbox', v1, 'approver', 403);
    expect(byAuthor.body.detail).toMatch(/wrote v1/);
    await sign(approver, 'sandbox', v1, 'approver', 201);
    await promote('sandbox', v1, 200);
  }, 120_000);

  it('keeps v2 out of production until its sample is decided and accepted, its rollback drilled and its owner signs', async () => {
    const v2 = await deployToDesign(shipped);
    expect(v2).toBe(2);
    await promote('testing', v2, 200);
    await evalPasses(v2);
    await sign(approver, 'sandbox', v2, 'approver', 201);
    await promote('sandbox', v2, 200);

    expect(await promote('production', v2, 409)).toEqual(['error_rate_accepted', 'reviewed_sample', 'rollback_drill', 'signoff:approver', 'signoff:owner']);
    await sandboxSample(30, 3);
    const drill = await builder.call('POST', '/api/workflows/{id}/drills', '/api/workflows/support-triage/drills', {}, 200);
    expect(drill.body).toMatchObject({ status: 'passed' });
    expect((drill.body.steps as unknown as Array<{ step: string; ok: boolean }>).map((s) => [s.step, s.ok])).toEqual([
      ['rollback', true], ['run_on_previous', true], ['roll_forward', true], ['run_on_version', true],
    ]);
    const signed = await sign(approver, 'production', v2, 'approver', 201, 'We reviewed 30 sandbox outputs; 3 needed an edit. A 10 % error rate is acceptable for triage with review of unsure cases.');
    expect(signed.body.observed).toEqual({ decided: 30, overridden: 3, errorRate: 0.1 });
    await sign(builder, 'production', v2, 'owner', 403);
    await sign(owner, 'production', v2, 'owner', 201);
    await promote('production', v2, 200);
    const gate = await builder.call('GET', '/api/workflows/{id}/gates/{stage}', '/api/workflows/support-triage/gates/production?version=2', undefined, 200);
    expect(gate.body.met).toBe(true);
    const actions = (await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE subject_id = 'support-triage' AND action IN ('gate:signed', 'drill:passed', 'deployment:moved') ORDER BY id`)).rows.map((r) => r.action);
    expect(actions.filter((a) => a === 'gate:signed')).toHaveLength(4);
    expect(actions).toContain('drill:passed');
    // The handoff pack of what production runs now has no missing item, its gate included.
    const pack = await owner.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/support-triage/handoff?format=json', undefined, 200);
    const readiness = pack.body.readiness as unknown as { ready: number; total: number; items: Array<{ id: string; ok: boolean; missing?: string }> };
    expect(pack.body).toMatchObject({ stage: 'production', version: { number: 2 } });
    expect(readiness.items.filter((i) => !i.ok)).toEqual([]);
    expect(readiness.items.map((i) => i.id)).toEqual(expect.arrayContaining(['gate:production:rollback_drill', 'gate:production:error_rate_accepted', 'gate:production:signoff:owner']));
    expect(readiness.ready).toBe(readiness.total);
  }, 180_000);

  it('rolls a bad version back out of production with one call, after it went through the same gates and a change request', async () => {
    const v3 = await deployToDesign(lowered);
    await promote('testing', v3, 200);
    await evalPasses(v3);
    await sign(approver, 'sandbox', v3, 'approver', 201);
    await promote('sandbox', v3, 200);
    await sandboxSample(30, 0);
    await builder.call('POST', '/api/workflows/{id}/drills', '/api/workflows/support-triage/drills', {}, 200);
    await sign(approver, 'production', v3, 'approver', 201);
    await sign(owner, 'production', v3, 'owner', 201);
    // Lowering the confidence floor changes the approval boundary of production: the owner approves the change first.
    expect(await promote('production', v3, 409)).toEqual(['change_request']);
    const request = await builder.call('POST', '/api/workflows/{id}/change-requests', '/api/workflows/support-triage/change-requests', { version: '3', reason: 'Fewer low-confidence reviews' }, 201);
    await owner.call('POST', '/api/change-requests/{id}/approve', `/api/change-requests/${request.body.id as unknown as string}/approve`, { note: 'ok for a week' }, 200);
    await promote('production', v3, 200);

    const back = await builder.call('POST', '/api/workflows/{id}/deployments/{stage}/rollback', '/api/workflows/support-triage/deployments/production/rollback', {}, 200);
    expect(back.body).toMatchObject({ from: { number: 3 }, deployment: { stage: 'production', version_number: 2 } });
  }, 180_000);
});
