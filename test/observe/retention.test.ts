// Retention deletes spans past their age and, when asked, clears the payloads of long-ended runs;
// rollups, reviews and the audit log stay.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { addToRollups, createRetention, insertSpans, runTraceId, type SpanRecord } from '../../src/observe/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow, testEngine, waitForRun } from '../support/harness.js';

const day = 86_400_000;

function span(i: number): SpanRecord {
  const at = new Date(Date.UTC(2026, 10, 1) + i * 1000);
  return {
    traceId: runTraceId(`r${i}`), spanId: i.toString(16).padStart(16, '0'), parentSpanId: null, workflowId: 'kept', runId: null,
    source: 'otlp', name: 'job', kind: 'internal', startedAt: at, endedAt: at, status: 'ok', statusMessage: null,
    attributes: { 'keel.input': 'payload' }, events: null, resource: null, scope: null,
  };
}

describe.each(testDatabases())('retention on $name', (database) => {
  let db: Db;
  beforeEach(async () => { db = await database.open(); });
  afterEach(async () => { await db.close(); });

  it('deletes spans older than the age and keeps the newer ones and the rollups', async () => {
    await deploy(db, oneStepWorkflow('kept'));
    await insertSpans(db, [span(1), span(2), span(3)]);
    await db.query(`UPDATE spans SET stored_at = now() - interval '40 days' WHERE span_id IN ($1, $2)`, [span(1).spanId, span(2).spanId]);
    await addToRollups(db, [{ workflowId: 'kept', versionId: '', stage: 'production', at: new Date(Date.now() - 40 * day), status: 'succeeded', latencyMs: 5 }]);
    const retention = createRetention({ db, spanDays: 30, sweepMs: 60_000, onError: (m) => expect.fail(m) });
    expect(await retention.pass()).toEqual({ spans: 2, runs: 0 });
    const left = await db.query<{ span_id: string }>(`SELECT span_id FROM spans`);
    expect(left.rows).toEqual([{ span_id: span(3).spanId }]);
    const hours = await db.query<{ runs: number }>(`SELECT runs FROM metric_hours WHERE workflow_id = 'kept'`);
    expect(hours.rows).toEqual([{ runs: 1 }]);
  });

  it('clears the inputs, outputs and step results of runs that ended before the payload age, and nothing of newer or unfinished runs', async () => {
    await deploy(db, oneStepWorkflow('kept'));
    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      const old = (await startRun(db, { workflowId: 'kept', stage: 'production', trigger: 'manual', input: { customer: 'jane' } })).run;
      const fresh = (await startRun(db, { workflowId: 'kept', stage: 'production', trigger: 'manual', input: { customer: 'joe' } })).run;
      await waitForRun(db, old.id, ['succeeded']);
      await waitForRun(db, fresh.id, ['succeeded']);
      await db.query(`UPDATE runs SET finished_at = now() - interval '100 days' WHERE id = $1`, [old.id]);
      const retention = createRetention({ db, spanDays: 30, runPayloadDays: 90, sweepMs: 60_000, onError: (m) => expect.fail(m) });
      expect(await retention.pass()).toEqual({ spans: 0, runs: 1 });
      const runs = await db.query<{ id: string; status: string; input: unknown; state: unknown; output: unknown }>(`SELECT id, status, input, state, output FROM runs ORDER BY id = $1 DESC`, [old.id]);
      expect(runs.rows).toEqual([
        { id: old.id, status: 'succeeded', input: null, state: {}, output: null },
        { id: fresh.id, status: 'succeeded', input: { customer: 'joe' }, state: { note: { seen: true } }, output: { seen: true } },
      ]);
      const attempts = await db.query<{ run_id: string; output: unknown }>(`SELECT run_id, output FROM step_attempts WHERE run_id = $1 UNION ALL SELECT run_id, output FROM step_attempts WHERE run_id = $2`, [old.id, fresh.id]);
      expect(attempts.rows).toEqual([{ run_id: old.id, output: null }, { run_id: fresh.id, output: { seen: true } }]);
      expect(await retention.pass()).toEqual({ spans: 0, runs: 0 });
    } finally {
      await engine.stop();
    }
  });
});
