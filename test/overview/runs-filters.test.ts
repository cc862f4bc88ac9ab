// The runs list as the dashboard filters it: by version number, by reason (why a run waits, or the
// code of the error it stopped with) and by when it was created, together with paging; each filter
// refused with a 422 naming the field when it cannot mean anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import type { RunRow } from '../../src/engine/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { refundRun, refunds } from './fixture.js';

describe.each(testDatabases())('filtering the runs list on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  let first: RunRow;
  let failed: RunRow;
  let waiting: RunRow;

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db);
    api = await contractChecker(withToken(app, (await createTestIdentity(db, ['viewer'])).token));
    await deploy(db, refunds());
    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      first = (await refundRun(db, 'small')).run;
      await deploy(db, refunds('Refunds v2'));
      failed = (await refundRun(db, 'failed')).run;
      waiting = (await refundRun(db, 'open')).run;
    } finally {
      await engine.stop();
    }
  }, 60_000);
  afterAll(async () => {
    await app.closeStreams();
    await db.close();
  });

  const ids = async (query: string) => {
    const body = (await api.call('GET', '/api/runs', `/api/runs?${query}`, undefined, 200)).body as unknown as { runs: RunRow[] };
    return body.runs.map((r) => r.id);
  };
  const problems = async (query: string) => (await api.call('GET', '/api/runs', `/api/runs?${query}`, undefined, 422)).body.problems;

  it('narrows to one version of a workflow', async () => {
    expect(await ids('workflow=refunds&version=1')).toEqual([first.id]);
    expect(await ids('workflow=refunds&version=2')).toEqual([waiting.id, failed.id]);
    expect(await ids('workflow=refunds&version=3')).toEqual([]);
  });

  it('narrows to runs waiting for a reason or stopped with an error code', async () => {
    expect(failed.error?.code).toBe('step_failed');
    expect(await ids('reason=review')).toEqual([waiting.id]);
    expect(await ids('reason=step_failed')).toEqual([failed.id]);
    expect(await ids('reason=retry')).toEqual([]);
  });

  it('narrows to a creation window and still pages from a run', async () => {
    const at = (run: RunRow) => encodeURIComponent(run.created_at.toISOString());
    expect(await ids(`since=${at(failed)}`)).toEqual([waiting.id, failed.id]);
    expect(await ids(`until=${at(failed)}`)).toEqual([first.id]);
    expect(await ids(`since=${at(first)}&until=${at(waiting)}`)).toEqual([failed.id, first.id]);
    expect(await ids(`workflow=refunds&before=${waiting.id}&limit=1`)).toEqual([failed.id]);
  });

  it('refuses filters that cannot mean anything, naming the field', async () => {
    expect(await problems('version=1')).toEqual([expect.objectContaining({ path: 'query.version' })]);
    expect(await problems('since=last%20week')).toEqual([expect.objectContaining({ path: 'query.since' })]);
    expect(await problems('until=2030-13-01T00:00:00Z')).toEqual([expect.objectContaining({ path: 'query.until' })]);
    expect(await problems(`since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z`)).toEqual([expect.objectContaining({ path: 'query.since' })]);
  });
});
