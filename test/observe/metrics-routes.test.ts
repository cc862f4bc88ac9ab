// The metrics and trace routes over real runs the tracer counted (metrics-fixture.ts), each answer
// checked against its contract: /api/metrics as readMetrics says, with its input problems; a
// workflow's traces newest first, page by page; one whole trace; and /metrics for Prometheus, parsed
// line by line. A person without access to the workflow gets 404 for its metrics and traces and sees
// none of its samples; counters never go down as runs are added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { latencyBoundsSeconds, readMetrics, readTrace, runTraceId } from '../../src/observe/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, simple } from '../overview/fixture.js';
import { buildFixture, day, models, tokens, type Fixture } from './metrics-fixture.js';
import { parseExposition, type Exposition } from './exposition.js';

const llm = useFakeLlmServer();

describe.each(testDatabases())('the metrics and trace routes on $name', (database) => {
  let db: Db;
  let fx: Fixture;
  let app: ReturnType<typeof testHttpApp>;
  let admin: string;
  let outsider: string;

  beforeAll(async () => {
    db = await database.open();
    fx = await buildFixture(db, llm);
    await deploy(db, simple('notes'));
    app = testHttpApp(db, { overview: { now: () => fx.now } });
    admin = (await createTestIdentity(db, ['admin'])).token;
    outsider = await memberOf(db, { notes: ['owner'] });
  }, 90_000);
  afterAll(async () => {
    await app?.closeStreams();
    await fx?.tracer.stop();
    await db?.close();
  });

  const get = async (token: string, template: string, path: string, status: number) =>
    (await (await contractChecker(withToken(app, token))).call('GET', template, path, undefined, status)).body as Record<string, unknown>;

  it('answers /api/metrics as readMetrics reads the rollups, over the window asked for', async () => {
    const from = new Date(fx.todayStart - 3 * day).toISOString();
    const body = await get(admin, '/api/metrics', `/api/metrics?workflow=replies&from=${from}&to=${fx.now.toISOString()}&bucket=day`, 200);
    const direct = await readMetrics(db, { workflowId: 'replies', from: new Date(from), to: fx.now, bucket: 'day', now: fx.now });
    expect(body).toEqual(JSON.parse(JSON.stringify(direct)));
    expect((body.series as unknown[]).length).toBe(4);
  });

  it('defaults to the last 7 days by day, takes a duration for from, and narrows to a version', async () => {
    const byDefault = await get(admin, '/api/metrics', '/api/metrics?workflow=replies', 200);
    expect(byDefault).toMatchObject({ bucket: 'day', to: new Date(fx.todayStart + day).toISOString(), from: new Date(fx.todayStart - 7 * day).toISOString() });
    expect((byDefault.totals as { runs: number }).runs).toBe(7);
    const hourly = await get(admin, '/api/metrics', '/api/metrics?workflow=replies&from=3h&bucket=hour&stage=production&version=1', 200);
    expect(hourly).toMatchObject({ bucket: 'hour', stage: 'production', version: 1, version_id: fx.versionId });
    expect((hourly.series as Array<{ runs: number }>).map((p) => p.runs)).toEqual([0, 5, 0]);
  });

  it('names the field of every refused input', async () => {
    const problem = async (query: string, status = 422) => (await get(admin, '/api/metrics', `/api/metrics?${query}`, status)) as { problems?: Array<{ path: string; message: string }> };
    expect((await problem(`workflow=replies&from=${fx.now.toISOString()}&to=${new Date(fx.now.getTime() - day).toISOString()}`)).problems)
      .toEqual([{ path: 'from', message: expect.stringMatching(/must be before to/) }]);
    expect((await problem('workflow=replies&from=30d&bucket=hour')).problems).toEqual([{ path: 'bucket', message: expect.stringMatching(/more than 400/), hint: expect.any(String) }]);
    expect((await problem('workflow=replies&stage=staging')).problems?.[0]?.path).toBe('query.stage');
    expect((await problem('workflow=replies&from=yesterday')).problems?.[0]?.path).toBe('query.from');
    expect((await problem('from=7d')).problems?.[0]?.path).toBe('query.workflow');
    await problem('workflow=nope', 404);
    await problem('workflow=replies&version=9', 404);
  });

  it('shows metrics and traces only to those who may read the workflow\'s runs', async () => {
    await get(outsider, '/api/metrics', '/api/metrics?workflow=replies', 404);
    await get(outsider, '/api/workflows/{id}/traces', '/api/workflows/replies/traces', 404);
    const traceId = runTraceId(fx.runs.approved[0]!.id);
    await get(outsider, '/api/traces/{traceId}', `/api/traces/${traceId}`, 404);
    const reviewer = await memberOf(db, { replies: ['reviewer'] });
    await get(reviewer, '/api/metrics', '/api/metrics?workflow=replies', 200);
    await get(reviewer, '/api/traces/{traceId}', `/api/traces/${traceId}`, 200);
    const readOnly = await memberOf(db, { replies: ['owner'] }, ['workflows:read']);
    await get(readOnly, '/api/metrics', '/api/metrics?workflow=replies', 403);
  });

  it('lists a workflow\'s traces newest first, page by page', async () => {
    const all = await get(admin, '/api/workflows/{id}/traces', '/api/workflows/replies/traces', 200) as { traces: Array<{ trace_id: string; started_at: string; spans: number; run_id: string }>; next_before: string | null };
    // Seven runs ended; the one waiting for a person has no root span yet.
    expect(all.traces).toHaveLength(7);
    expect(all.next_before).toBeNull();
    const starts = all.traces.map((t) => t.started_at);
    expect(starts).toEqual([...starts].sort().reverse());
    for (const t of all.traces) expect(t.spans).toBe((await readTrace(db, t.trace_id)).length);
    const seen: string[] = [];
    let before = '';
    for (let page = 0; page < 5; page++) {
      const body = await get(admin, '/api/workflows/{id}/traces', `/api/workflows/replies/traces?limit=3${before}`, 200) as typeof all;
      seen.push(...body.traces.map((t) => t.trace_id));
      if (body.next_before === null) break;
      before = `&before=${encodeURIComponent(body.next_before)}`;
    }
    expect(seen).toEqual(all.traces.map((t) => t.trace_id));
    await get(admin, '/api/workflows/{id}/traces', '/api/workflows/nope/traces', 404);
    await get(admin, '/api/workflows/{id}/traces', '/api/workflows/replies/traces?limit=0', 422);
  });

  it('answers a trace with every span in start order, GenAI attributes on the model call', async () => {
    const run = fx.runs.approved[0]!;
    const body = await get(admin, '/api/traces/{traceId}', `/api/traces/${runTraceId(run.id)}`, 200) as { run_id: string; spans: Array<{ name: string; started_at: string; parent_span_id: string | null; attributes: Record<string, unknown> }> };
    expect(body.run_id).toBe(run.id);
    expect(body.spans.map((s) => s.started_at)).toEqual([...body.spans.map((s) => s.started_at)].sort());
    expect(body.spans.filter((s) => s.parent_span_id === null).map((s) => s.name)).toEqual(['run replies']);
    expect(body.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['model draft', 'chat writer-1', 'review check', 'decision check']));
    expect(body.spans.find((s) => s.name === 'chat writer-1')!.attributes).toMatchObject({ 'gen_ai.request.model': 'writer-1', 'gen_ai.usage.input_tokens': tokens.in });
    await get(admin, '/api/traces/{traceId}', `/api/traces/${'a'.repeat(32)}`, 404);
    await get(admin, '/api/traces/{traceId}', '/api/traces/not-a-trace', 422);
  });

  describe('GET /metrics', () => {
    const scrape = async (token?: string): Promise<{ status: number; type: string | null; text: string }> => {
      const res = await (token ? withToken(app, token) : app).request('/metrics');
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    const sample = (e: Exposition, name: string, labels: Record<string, string>) =>
      e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    it('writes well-formed families: HELP and TYPE first, cumulative buckets, +Inf equal to _count', async () => {
      const { status, type, text } = await scrape(admin);
      expect(status).toBe(200);
      expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
      const e = parseExposition(text);
      expect(e.types).toMatchObject({
        keel_runs_total: 'counter', keel_model_tokens_total: 'counter', keel_model_cost_usd_total: 'counter', keel_review_queue_size: 'gauge',
        keel_review_queue_oldest_age_seconds: 'gauge', keel_automation_coverage_ratio: 'gauge', keel_human_override_ratio: 'gauge',
        keel_run_latency_seconds: 'histogram',
      });
      const buckets = e.samples.filter((s) => s.name === 'keel_run_latency_seconds_bucket' && s.labels.workflow === 'replies');
      expect(buckets.map((b) => b.labels.le)).toEqual([...latencyBoundsSeconds, '+Inf']);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = sample(e, 'keel_run_latency_seconds_count', { workflow: 'replies', stage: 'production' });
      expect(buckets.at(-1)!.value).toBe(count);
      expect(count).toBe(7);
      const latencies = Object.values(fx.runs).flat().reduce((s, r) => s + r.finished_at!.getTime() - r.created_at.getTime(), 0);
      expect(sample(e, 'keel_run_latency_seconds_sum', { workflow: 'replies', stage: 'production' })).toBeCloseTo(latencies / 1000, 6);
    });

    it('counts runs, tokens and the queue, and the last 24 hours\' coverage and override', async () => {
      const e = parseExposition((await scrape(admin)).text);
      const runs = (status: string) => sample(e, 'keel_runs_total', { workflow: 'replies', stage: 'production', status });
      expect([runs('succeeded'), runs('failed'), runs('rejected'), runs('canceled'), runs('outcome_unknown')]).toEqual([5, 1, 1, 0, 0]);
      expect(sample(e, 'keel_model_tokens_total', { workflow: 'replies', direction: 'input' })).toBe(8 * tokens.in + tokens.repairIn);
      expect(sample(e, 'keel_model_tokens_total', { workflow: 'replies', direction: 'output' })).toBe(8 * tokens.out + tokens.repairOut);
      expect(sample(e, 'keel_review_queue_size', { workflow: 'replies' })).toBe(1);
      expect(sample(e, 'keel_review_queue_size', { workflow: 'notes' })).toBe(0);
      expect(sample(e, 'keel_review_queue_oldest_age_seconds', { workflow: 'replies' })).toBeGreaterThan(9 * 86_400);
      // Only today's runs are within 24 hours of 13:00: one of five needed nobody; two of three decisions overrode.
      expect(sample(e, 'keel_automation_coverage_ratio', { workflow: 'replies', stage: 'production' })).toBeCloseTo(0.2, 10);
      expect(sample(e, 'keel_human_override_ratio', { workflow: 'replies', stage: 'production' })).toBeCloseTo(2 / 3, 10);
    });

    it('shows only the workflows the token may read, and wants a token', async () => {
      const mine = parseExposition((await scrape(outsider)).text);
      expect(mine.samples.some((s) => s.labels.workflow === 'replies')).toBe(false);
      expect(sample(mine, 'keel_review_queue_size', { workflow: 'notes' })).toBe(0);
      expect((await scrape()).status).toBe(401);
      const nobody = await createTestIdentity(db, []);
      expect((await scrape(nobody.token)).status).toBe(403);
    });

    it('never lowers a counter as runs are added', async () => {
      const before = parseExposition((await scrape(admin)).text);
      const engine = testEngine(db, { models: models(llm) });
      await engine.startWorkers();
      try {
        llm.script('openai', { text: JSON.stringify({ reply: 'one more' }), tokensIn: 10, tokensOut: 5 });
        const { run } = await startRun(db, { workflowId: 'replies', stage: 'production', trigger: 'manual', input: { question: 'again', review: false, fail: false } });
        await waitForRun(db, run.id, ['succeeded']);
      } finally {
        await engine.stop();
      }
      await fx.tracer.drain();
      const after = parseExposition((await scrape(admin)).text);
      const key = (s: { name: string; labels: Record<string, string> }) => `${s.name}${JSON.stringify(s.labels)}`;
      const now = new Map(after.samples.map((s) => [key(s), s.value]));
      const counters = before.samples.filter((s) => before.types[s.name.replace(/_(bucket|sum|count)$/, '')] !== 'gauge');
      expect(counters.length).toBeGreaterThan(30);
      for (const s of counters) expect(now.get(key(s)), key(s)).toBeGreaterThanOrEqual(s.value);
      expect(sample(after, 'keel_runs_total', { workflow: 'replies', stage: 'production', status: 'succeeded' })).toBe(6);
    });
  });
});
