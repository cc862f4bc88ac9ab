// `keel metrics WORKFLOW` against a real Keel over loopback HTTP: runs of the triage workflow made by
// its own workers (two straight through, one approved and one edited by a person), counted in the
// rollups by the tracer, then printed as a table and as the API's JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun, wakeRun, type RunStatus } from '../../src/engine/index.js';
import { createTracer } from '../../src/observe/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { waitForRun } from '../support/harness.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);

async function triageRun(subject: string, decision?: 'approve' | 'edit'): Promise<void> {
  const db = server.keel.db;
  const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject } });
  const ends: RunStatus[] = ['succeeded', 'failed', 'rejected', 'canceled'];
  if (!decision) {
    await waitForRun(db, run.id, ends);
    return;
  }
  await waitForRun(db, run.id, ['waiting']);
  const [task] = await listReviews(db, { runId: run.id });
  await decideReview(db, { target: { reviewId: task!.id }, decision, actor: 'ana@example.com', ...(decision === 'edit' ? { output: { priority: 'normal' } } : {}) }, wakeRun);
  await waitForRun(db, run.id, ends);
}

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
  await triageRun('printer jam');
  await triageRun('password reset');
  await triageRun('urgent: site down', 'approve');
  await triageRun('urgent: payroll', 'edit');
  const db = server.keel.db;
  const tracer = createTracer({
    db, tickMs: 60_000, batch: 100, settleMs: 0, onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
  });
  await tracer.drain();
  await tracer.stop();
}, 60_000);
afterAll(async () => {
  await server.stop();
  expect(server.keel.engine.worker.active).toBe(0);
});

describe('keel metrics', () => {
  it('prints the window\'s figures and one row per day', async () => {
    const r = await keel('metrics', 'triage', '--since', '2d', '--bucket', 'day');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out[0]).toMatch(/^metrics of triage, every stage, \d{4}-\d\d-\d\d 00:00:00Z to \d{4}-\d\d-\d\d 00:00:00Z, by day$/);
    const row = (figure: string) => r.out.find((l) => l.startsWith(`${figure} `))?.slice(figure.length).trim();
    expect(row('runs')).toBe('4 ended: 4 succeeded, 0 failed, 0 rejected, 0 canceled, 0 outcome unknown');
    expect(row('coverage')).toBe('50.0% (2/4)');
    expect(row('override')).toBe('50.0% (1/2)');
    expect(row('acceptance')).toBe('50.0% (1/2)');
    expect(row('prompt success')).toBe('-');
    expect(row('latency')).toMatch(/^p50 <= \d+( ms| s), p95 <= \d+( ms| s), p99 <= \d+( ms| s)$/);
    expect(row('queue now')).toBe('0 open');
    expect(row('metric')).toBe('none declared in the workflow file');
    const header = r.out.findIndex((l) => /^BUCKET\s+RUNS\s+FAILED\s+COVERAGE\s+OVERRIDE\s+P50\s+P95\s+TOKENS\s+COST$/.test(l));
    const days = r.out.slice(header + 1, header + 4);
    expect(days.map((l) => l.slice(0, 10))).toEqual(days.map((l) => l.slice(0, 10)).sort());
    expect(days.every((l) => /^\d{4}-\d\d-\d\d\s+\d+\s+0\s+/.test(l))).toBe(true);
    expect(days.reduce((s, l) => s + Number(l.split(/\s+/)[1]), 0)).toBe(4);
  });

  it('answers the API document with --json, and narrows to a stage', async () => {
    const json = parseJson<{ totals: { runs: number; automated: number }; series: unknown[]; bucket: string }>(await keel('metrics', 'triage', '--since', '24h', '--bucket', 'hour', '--json'));
    expect(json.bucket).toBe('hour');
    expect(json.totals).toMatchObject({ runs: 4, automated: 2 });
    expect(json.series.length).toBeGreaterThanOrEqual(24);
    const sandbox = parseJson<{ totals: { runs: number } }>(await keel('metrics', 'triage', '--stage', 'sandbox', '--json'));
    expect(sandbox.totals.runs).toBe(0);
  });

  it('says what is wrong with the arguments or the workflow', async () => {
    const bucket = await keel('metrics', 'triage', '--bucket', 'week');
    expect(bucket.code).toBe(2);
    expect(bucket.err[0]).toBe('error: --bucket must be day or hour, not "week"');
    const missing = await keel('metrics', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/^error: No workflow named nope/);
    const window = await keel('metrics', 'triage', '--since', '60d', '--bucket', 'hour');
    expect(window.code).toBe(1);
    expect(window.err).toContainEqual(expect.stringMatching(/^ {2}bucket: would give \d+ hour buckets, more than 400/));
  });
});
