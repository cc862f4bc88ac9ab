// readMetrics over rollups the tracer filled from real runs (see metrics-fixture.ts): each figure
// worked out from the runs' own rows, buckets with no runs present as zeros, the business metric
// against its baseline and target, filters and input checks. Also: the tracer counts a run once
// however often it sees it, and model calls become spans with GenAI attributes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { latencyBucket, readMetrics, readTrace, runTraceId, type Metrics } from '../../src/observe/index.js';
import { startRun } from '../../src/engine/index.js';
import { testDatabases } from '../support/databases.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { testEngine, waitForRun } from '../support/harness.js';
import { buildFixture, day, models, nearestRank, price, tokens, type Fixture } from './metrics-fixture.js';

const llm = useFakeLlmServer();

describe.each(testDatabases())('metrics from the rollups on $name', (database) => {
  let db: Db;
  let fx: Fixture;
  let metrics: Metrics;

  beforeAll(async () => {
    db = await database.open();
    fx = await buildFixture(db, llm);
    metrics = await readMetrics(db, { workflowId: 'replies', from: new Date(fx.todayStart - 3 * day), to: fx.now, bucket: 'day', now: fx.now });
  }, 90_000);
  afterAll(async () => {
    await fx?.tracer.stop();
    await db?.close();
  });

  it('counts the window: runs by end, coverage, override, acceptance, escalation, prompt success, tokens and cost', () => {
    const t = metrics.totals;
    expect(t).toMatchObject({
      runs: 7, succeeded: 5, failed: 1, rejected: 1, canceled: 0, outcome_unknown: 0,
      automated: 3, reviewed: 3, approved: 1, overridden: 2, escalated: 1,
      // Model use counts when it is traced: the run still waiting for a person has made its call too.
      model_steps: 8, first_try_valid: 7, model_calls: 9,
      tokens_in: 8 * tokens.in + tokens.repairIn, tokens_out: 8 * tokens.out + tokens.repairOut,
    });
    // Three of the seven ended runs needed nobody; of three decisions, the edit and the reject overrode;
    // one of eight model steps needed a repair.
    expect(t.coverage_pct).toBeCloseTo((100 * 3) / 7, 10);
    expect(t.override_pct).toBeCloseTo((100 * 2) / 3, 10);
    expect(t.acceptance_pct).toBeCloseTo(100 / 3, 10);
    expect(t.failure_pct).toBeCloseTo(100 / 7, 10);
    expect(t.prompt_success_pct).toBeCloseTo((100 * 7) / 8, 10);
    const cost = (t.tokens_in * price.inputPerMillion + t.tokens_out * price.outputPerMillion) / 1e6;
    expect(t.cost_usd).toBeCloseTo(cost, 9);
    expect(t.cost_per_run_usd).toBeCloseTo(cost / 7, 9);
  });

  it('reads escalation latency from the decided task and failures by error class', async () => {
    const edited = fx.runs['escalated-edited'][0]!;
    const task = (await db.query<{ escalated_at: Date; decided_at: Date }>(`SELECT escalated_at, decided_at FROM reviews WHERE run_id = $1`, [edited.id])).rows[0]!;
    expect(metrics.totals.escalation_mean_ms).toBe(task.decided_at.getTime() - task.escalated_at.getTime());
    expect(metrics.failures_by_class).toEqual([{ error_class: fx.runs.failed[0]!.error!.code, runs: 1 }]);
  });

  it('reports latency percentiles as the upper bound of the bucket they fall in', () => {
    const ended = Object.values(fx.runs).flat();
    const latencies = ended.map((r) => r.finished_at!.getTime() - r.created_at.getTime()).sort((a, b) => a - b);
    const bound = (p: number) => Number(latencyBucket(nearestRank(latencies, p)));
    expect(metrics.latency).toMatchObject({ p50_ms: bound(0.5), p95_ms: bound(0.95), p99_ms: bound(0.99), above_largest_bound: 0 });
    expect(metrics.totals.latency_p50_ms).toBe(bound(0.5));
    expect(metrics.latency.histogram.reduce((s, h) => s + h.runs, 0)).toBe(7);
    expect(metrics.latency.mean_ms).toBeCloseTo(latencies.reduce((s, v) => s + v, 0) / 7, 6);
    // The bound is at least the latency it stands for, and the bucket below it is not.
    expect(metrics.latency.p50_ms!).toBeGreaterThanOrEqual(nearestRank(latencies, 0.5));
  });

  it('gives one point per day, the days without runs as zeros', () => {
    expect(metrics.from).toEqual(new Date(fx.todayStart - 3 * day));
    expect(metrics.to).toEqual(new Date(fx.todayStart + day));
    expect(metrics.series.map((p) => p.start.getTime())).toEqual([3, 2, 1, 0].map((k) => fx.todayStart - k * day));
    expect(metrics.series.map((p) => p.runs)).toEqual([0, 2, 0, 5]);
    const empty = metrics.series[0]!;
    expect(empty).toMatchObject({ runs: 0, tokens_in: 0, cost_usd: 0, coverage_pct: null, override_pct: null, latency_p50_ms: null, metric_value: null });
    expect(metrics.series[1]).toMatchObject({ runs: 2, automated: 2, coverage_pct: 100, metric_value: 100 });
    expect(metrics.series[3]).toMatchObject({ runs: 5, automated: 1, coverage_pct: 20, reviewed: 3, metric_value: 20 });
  });

  it('hourly buckets put the runs in the hour they ended in', async () => {
    const hourly = await readMetrics(db, { workflowId: 'replies', from: new Date(fx.today - 3 * 3_600_000), to: new Date(fx.today + 3_600_000), bucket: 'hour', now: fx.now });
    expect(hourly.series).toHaveLength(4);
    // Runs land a few seconds before noon (their end plus the clock's offset), so in the 11:00 hour.
    expect(hourly.series.map((p) => p.runs)).toEqual([0, 0, 5, 0]);
  });

  it('says how the business metric stands against baseline and target', () => {
    expect(metrics.business_metric).toEqual({
      name: 'replies sent without a person', unit: 'percent', measure: 'coverage_pct', per_run: false,
      value: metrics.totals.coverage_pct, baseline: 20, target: 50, better: 'higher', beats_baseline: true, meets_target: false,
    });
  });

  it('shows the review queue now, whatever the window', async () => {
    const created = (await db.query<{ created_at: Date }>(`SELECT created_at FROM reviews WHERE run_id = $1`, [fx.openRun.id])).rows[0]!.created_at;
    expect(metrics.queue).toEqual({ open: 1, oldest_age_seconds: (fx.now.getTime() - created.getTime()) / 1000 });
    const sandbox = await readMetrics(db, { workflowId: 'replies', from: new Date(fx.todayStart), to: fx.now, bucket: 'day', stage: 'sandbox', now: fx.now });
    expect(sandbox.queue).toEqual({ open: 0, oldest_age_seconds: null });
  });

  it('narrows to a stage and a version', async () => {
    const window = { workflowId: 'replies', from: new Date(fx.todayStart - 3 * day), to: fx.now, bucket: 'day' as const, now: fx.now };
    const sandbox = await readMetrics(db, { ...window, stage: 'sandbox' });
    expect(sandbox.totals.runs).toBe(0);
    expect(sandbox.series.map((p) => p.runs)).toEqual([0, 0, 0, 0]);
    expect(sandbox.stage).toBe('sandbox');
    const v1 = await readMetrics(db, { ...window, stage: 'production', versionId: fx.versionId });
    expect(v1).toMatchObject({ version_id: fx.versionId, version: 1 });
    expect(v1.totals).toEqual(metrics.totals);
    await expect(readMetrics(db, { ...window, versionId: 'ver_missing' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(readMetrics(db, { ...window, workflowId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a window that is empty or too finely cut, and an unknown stage, naming the field', async () => {
    const base = { workflowId: 'replies', bucket: 'day' as const, now: fx.now };
    await expect(readMetrics(db, { ...base, from: fx.now, to: new Date(fx.now.getTime() - 1) }))
      .rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'from', message: expect.stringMatching(/must be before to/) }] });
    await expect(readMetrics(db, { ...base, bucket: 'hour', from: new Date(fx.now.getTime() - 30 * day), to: fx.now }))
      .rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'bucket', message: expect.stringMatching(/720 hour buckets, more than 400/) }], hint: expect.stringMatching(/bucket=day/) });
    await expect(readMetrics(db, { ...base, from: new Date(fx.now.getTime() - day), to: fx.now, stage: 'staging' }))
      .rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'stage', message: expect.stringMatching(/"staging" is not a stage/) }] });
  });

  it('counts a run once however often the tracer sees it, even after losing its cursor', async () => {
    const before = (await db.query(`SELECT * FROM metric_hours ORDER BY hour, stage, version_id`)).rows;
    const counts = (await db.query(`SELECT * FROM metric_counts ORDER BY hour, dimension, value`)).rows;
    await fx.tracer.drain();
    await fx.tracer.drain();
    await db.query(`DELETE FROM observe_cursors WHERE name = 'tracer'`);
    expect(await fx.tracer.drain()).toBeGreaterThanOrEqual(8);
    expect((await db.query(`SELECT * FROM metric_hours ORDER BY hour, stage, version_id`)).rows).toEqual(before);
    expect((await db.query(`SELECT * FROM metric_counts ORDER BY hour, dimension, value`)).rows).toEqual(counts);
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM spans WHERE parent_span_id IS NULL`)).rows[0]!.n).toBe(7);
  });

  it('counts a model step that failed for good as a prompt that did not succeed', async () => {
    const before = (await readMetrics(db, { workflowId: 'replies', from: new Date(fx.todayStart - 3 * day), to: fx.now, bucket: 'day', now: fx.now })).totals;
    const engine = testEngine(db, { models: models(llm) });
    await engine.startWorkers();
    try {
      // The provider fails: the step is not retried (a provider error is final) and the run fails.
      llm.script('openai', { status: 500, message: 'upstream down' });
      const { run } = await startRun(db, { workflowId: 'replies', stage: 'production', trigger: 'manual', input: { question: 'down?', review: false, fail: false } });
      expect((await waitForRun(db, run.id, ['failed', 'succeeded'])).status).toBe('failed');
    } finally {
      await engine.stop();
    }
    await fx.tracer.drain();
    const after = (await readMetrics(db, { workflowId: 'replies', from: new Date(fx.todayStart - 3 * day), to: fx.now, bucket: 'day', now: fx.now })).totals;
    expect(after).toMatchObject({ runs: before.runs + 1, failed: before.failed + 1, model_calls: before.model_calls + 1 });
    expect([after.model_steps, after.first_try_valid]).toEqual([before.model_steps + 1, before.first_try_valid]);
  });

  it('stores model calls as spans with GenAI attributes, a repair as a second call of its step', async () => {
    const run = fx.runs.repaired[0]!;
    const spans = await readTrace(db, runTraceId(run.id));
    const step = spans.find((s) => s.name === 'model draft')!;
    const calls = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.parentSpanId).toBe(step.spanId);
      expect(call.kind).toBe('client');
      expect(call.attributes).toMatchObject({ 'gen_ai.request.model': 'writer-1', 'gen_ai.provider.name': expect.any(String) });
    }
    expect(calls.map((c) => [c.attributes['keel.model.purpose'], c.attributes['gen_ai.usage.input_tokens'], c.attributes['gen_ai.usage.output_tokens']]).sort())
      .toEqual([['call', tokens.in, tokens.out], ['repair', tokens.repairIn, tokens.repairOut]]);
  });
});
