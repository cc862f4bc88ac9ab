// GET /api/runs/{id}/trace: the trace of a Keel run found from the run itself (the dashboard's run
// page draws it), answered against its contract: 404 until the tracer has written a span, then the
// same spans as GET /api/traces/{traceId}; someone who may not read the run's workflow gets 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { createTracer, runTraceId, type Tracer } from '../../src/observe/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, refundRun, refunds, simple } from '../overview/fixture.js';

describe.each(testDatabases())('the trace of a run on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let tracer: Tracer;
  let engine: ReturnType<typeof testEngine>;
  let admin: string;
  let outsider: string;

  beforeAll(async () => {
    db = await database.open();
    await deploy(db, refunds());
    await deploy(db, simple('notes'));
    engine = testEngine(db);
    await engine.startWorkers();
    tracer = createTracer({
      db, tickMs: 50, batch: 50, settleMs: 0, onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
    });
    app = testHttpApp(db);
    admin = (await createTestIdentity(db, ['admin'])).token;
    outsider = await memberOf(db, { notes: ['owner'] });
  }, 60_000);
  afterAll(async () => {
    await tracer?.stop();
    await engine?.stop();
    await app?.closeStreams();
    await db?.close();
  });

  const get = async (token: string, template: string, path: string, status: number) =>
    (await (await contractChecker(withToken(app, token))).call('GET', template, path, undefined, status)).body as Record<string, unknown>;

  it('answers 404 before the tracer wrote a span, then the run\'s spans as the trace route does', async () => {
    const { run } = await refundRun(db, 'small');
    const missing = await get(admin, '/api/runs/{id}/trace', `/api/runs/${run.id}/trace`, 404);
    expect(missing.detail).toContain('no spans yet');

    await tracer.drain();
    const body = await get(admin, '/api/runs/{id}/trace', `/api/runs/${run.id}/trace`, 200) as { trace_id: string; run_id: string; spans: Array<{ name: string }> };
    expect(body).toMatchObject({ trace_id: runTraceId(run.id), run_id: run.id, workflow_id: 'refunds' });
    expect(body.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['run refunds', 'transform size', 'route pick', 'transform done']));
    expect(body).toEqual(await get(admin, '/api/traces/{traceId}', `/api/traces/${runTraceId(run.id)}`, 200));
  });

  it('hides the trace from someone who may not read the run\'s workflow, and answers 404 for a run that does not exist', async () => {
    const { run } = await startRun(db, { workflowId: 'refunds', stage: 'production', trigger: 'manual', input: { amount: 5 } });
    await waitForRun(db, run.id, ['succeeded']);
    await tracer.drain();
    await get(outsider, '/api/runs/{id}/trace', `/api/runs/${run.id}/trace`, 404);
    await get(admin, '/api/runs/{id}/trace', '/api/runs/run_missing/trace', 404);
  });
});
