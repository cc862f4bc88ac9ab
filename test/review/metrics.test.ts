// Review metrics over a fixture whose every figure is worked out by hand: runs and review tasks are
// written with known outcomes and times, then each figure is checked exactly, in total, per
// version, and for one version asked for on its own; the route answers the same over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { reviewMetrics } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = (title: string) => `
id: measured
title: ${title}
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
`;

const second = 1_000;
const hour = 3_600 * second;
const day = 24 * hour;

describe.each(testDatabases())('review metrics on $name', (database) => {
  let db: Db;
  let v1: string;
  let v2: string;
  // Whole seconds, so every difference below is exact on both databases.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const ago = (ms: number) => new Date(now.getTime() - ms);

  async function run(id: string, version: string, status: string, finishedAgo: number | null, updatedAgo = finishedAgo ?? 0): Promise<void> {
    await db.query(
      `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input, created_at, updated_at, finished_at)
       VALUES ($1, 'measured', $2, 'production', $3, 'manual', $4::jsonb, $5, $6, $7)`,
      [id, version, status, JSON.stringify({ n: id }), ago(10 * day), ago(updatedAgo), finishedAgo === null ? null : ago(finishedAgo)],
    );
  }

  interface Task { id: string; run?: string; version?: string | null; status: string; reason: string; createdAgo: number; escalatedAgo?: number; decidedAgo?: number }
  async function task(t: Task): Promise<void> {
    await db.query(
      `INSERT INTO reviews (id, run_id, step_id, workflow_id, version_id, status, reason, created_at, escalated_at, decided_at, decided_by)
       VALUES ($1, $2, $3, 'measured', $4, $5, $6, $7, $8, $9, $10)`,
      [t.id, t.run ?? null, t.run ? 'check' : null, t.version ?? null, t.status, t.reason, ago(t.createdAgo),
        t.escalatedAgo === undefined ? null : ago(t.escalatedAgo), t.decidedAgo === undefined ? null : ago(t.decidedAgo),
        t.decidedAgo === undefined ? null : 'ana@example.com'],
    );
  }

  beforeAll(async () => {
    db = await database.open();
    v1 = (await deploy(db, workflow('Measured'))).version.id;
    v2 = (await deploy(db, workflow('Measured again'))).version.id;
    // Version 1: five runs end in the window, two of them with no task at all.
    await run('r1', v1, 'succeeded', 2 * day);
    await run('r2', v1, 'succeeded', 3 * day);
    await run('r3', v1, 'succeeded', 4 * day);
    await run('r4', v1, 'rejected', 5 * day);
    await run('r5', v1, 'failed', 1 * day);
    await run('r6', v1, 'succeeded', 10 * day); // ended before the window
    await run('r7', v1, 'waiting', null, 2 * hour); // not finished
    await run('r8', v1, 'succeeded', 9 * day);
    // Version 2: six runs end in the window (one waits on reconciliation, counted from its last change), one without a task.
    await run('s1', v2, 'succeeded', 1 * day);
    await run('s2', v2, 'succeeded', 5 * day);
    await run('s3', v2, 'canceled', 1 * day);
    await run('s4', v2, 'outcome_unknown', null, 2 * day);
    await run('s5', v2, 'succeeded', 2 * day);
    await run('s6', v2, 'running', null, 1 * hour);
    await run('s7', v2, 'succeeded', 20 * hour);

    // Version 1's first task names no version of its own: it counts for its run's.
    await task({ id: 'rv_r3', run: 'r3', status: 'approved', reason: 'low_confidence', createdAgo: 5 * day, decidedAgo: 4 * day });
    await task({ id: 'rv_r4', run: 'r4', version: v1, status: 'rejected', reason: 'policy', createdAgo: 5 * day, decidedAgo: 5 * day - hour });
    await task({ id: 'rv_r7', run: 'r7', version: v1, status: 'pending', reason: 'low_confidence', createdAgo: 2 * hour });
    await task({ id: 'rv_r8', run: 'r8', version: v1, status: 'approved', reason: 'low_confidence', createdAgo: 10 * day, decidedAgo: 9 * day });
    await task({ id: 'rv_s2', run: 's2', version: v2, status: 'edited', reason: 'low_confidence', createdAgo: 6 * day, escalatedAgo: 6 * day - hour, decidedAgo: 6 * day - hour - 600 * second });
    // Created before the window, escalated, then expired inside it: counted as expired, never as a latency.
    await task({ id: 'rv_s3', run: 's3', version: v2, status: 'expired', reason: 'manual', createdAgo: 8 * day, escalatedAgo: 7 * day + hour, decidedAgo: 1 * day });
    await task({ id: 'rv_s5', run: 's5', version: v2, status: 'approved', reason: 'low_confidence', createdAgo: 3 * day, escalatedAgo: 3 * day - 60 * second, decidedAgo: 3 * day - 60 * second - 1800 * second });
    await task({ id: 'rv_s6', run: 's6', version: v2, status: 'escalated', reason: 'risk', createdAgo: 3 * day, escalatedAgo: 2 * day });
    await task({ id: 'rv_s7', run: 's7', version: v2, status: 'approved', reason: 'low_confidence', createdAgo: 1 * day, decidedAgo: 1 * day - 300 * second });
    // An external task: no run, no version.
    await task({ id: 'rv_ext', status: 'rejected', reason: 'policy', createdAgo: 2 * day, escalatedAgo: 2 * day - 10 * second, decidedAgo: 2 * day - 110 * second });
  });
  afterAll(async () => {
    await db.close();
  });

  it('adds up every figure of the window in total', async () => {
    const m = await reviewMetrics(db, { workflowId: 'measured', now });
    expect(m.since).toEqual(ago(7 * day));
    expect(m.until).toEqual(now);
    const { escalation_p50_seconds: p50, escalation_p95_seconds: p95, ...rest } = m.total;
    expect(rest).toEqual({
      decided: 7, approved: 3, edited: 1, rejected: 2, expired: 1, override_pct: 50,
      finished_runs: 11, automated_runs: 3, coverage_pct: (100 * 3) / 11,
      escalated_decided: 3, open: 2, oldest_open_seconds: 3 * 86_400,
      by_reason: [
        { reason: 'low_confidence', asked: 5, decided: 4, overridden: 1, expired: 0 },
        { reason: 'policy', asked: 2, decided: 2, overridden: 2, expired: 0 },
        { reason: 'risk', asked: 1, decided: 0, overridden: 0, expired: 0 },
        { reason: 'manual', asked: 0, decided: 0, overridden: 0, expired: 1 },
      ],
    });
    // Latencies 100 s, 600 s and 1800 s: continuous percentiles interpolate between them.
    expect(p50).toBe(600);
    expect(p95).toBeCloseTo(600 + 0.9 * 1200, 6);
  });

  it('splits the same figures per version, newest first, with versionless tasks last', async () => {
    const m = await reviewMetrics(db, { workflowId: 'measured', now });
    expect(m.versions.map((v) => [v.version, v.version_id])).toEqual([[2, v2], [1, v1], [null, null]]);
    const [second2, first, none] = m.versions;
    expect(first).toMatchObject({
      decided: 2, approved: 1, edited: 0, rejected: 1, expired: 0, override_pct: 50, finished_runs: 5, automated_runs: 2, coverage_pct: 40,
      escalated_decided: 0, escalation_p50_seconds: null, escalation_p95_seconds: null, open: 1, oldest_open_seconds: 7_200,
    });
    expect(second2).toMatchObject({
      decided: 4, approved: 2, edited: 1, rejected: 0, expired: 1, override_pct: 100 / 3, finished_runs: 6, automated_runs: 1, coverage_pct: 100 / 6,
      escalated_decided: 2, escalation_p50_seconds: 1_200, open: 1, oldest_open_seconds: 3 * 86_400,
    });
    expect(second2!.escalation_p95_seconds).toBeCloseTo(600 + 0.95 * 1200, 6);
    expect(second2!.by_reason).toEqual([
      { reason: 'low_confidence', asked: 3, decided: 3, overridden: 1, expired: 0 },
      { reason: 'risk', asked: 1, decided: 0, overridden: 0, expired: 0 },
      { reason: 'manual', asked: 0, decided: 0, overridden: 0, expired: 1 },
    ]);
    expect(none).toMatchObject({
      decided: 1, rejected: 1, override_pct: 100, finished_runs: 0, automated_runs: 0, coverage_pct: null,
      escalated_decided: 1, escalation_p50_seconds: 100, escalation_p95_seconds: 100, open: 0, oldest_open_seconds: null,
    });
  });

  it('answers one version on its own, and a window that holds nothing', async () => {
    const only = await reviewMetrics(db, { workflowId: 'measured', versionId: v1, now });
    expect(only.versions.map((v) => v.version)).toEqual([1]);
    const { version: _n, version_id: _id, ...v1Figures } = only.versions[0]!;
    expect(only.total).toEqual(v1Figures);
    expect(only.total).toMatchObject({ decided: 2, finished_runs: 5, coverage_pct: 40, open: 1 });

    // A window that closed long ago: nothing decided, nothing finished, but the queue is still today's.
    const old = await reviewMetrics(db, { workflowId: 'measured', since: ago(30 * day), until: ago(20 * day), now });
    expect(old.total).toMatchObject({
      decided: 0, override_pct: null, finished_runs: 0, coverage_pct: null, escalation_p50_seconds: null, open: 2, oldest_open_seconds: 3 * 86_400,
    });
    const unknown = await reviewMetrics(db, { workflowId: 'nobody', now });
    expect(unknown.total).toMatchObject({ decided: 0, open: 0, oldest_open_seconds: null, by_reason: [] });
    expect(unknown.versions).toEqual([]);
  });

  it('refuses an empty window', async () => {
    await expect(reviewMetrics(db, { workflowId: 'measured', since: now, until: ago(day), now })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('serves the figures over HTTP as its contract says, by version number and window', async () => {
    const app = withToken(testHttpApp(db), (await createTestIdentity(db)).token);
    const api = await contractChecker(app);
    const path = `/api/workflows/measured/review-metrics?version=2&since=${encodeURIComponent(ago(7 * day).toISOString())}&until=${encodeURIComponent(now.toISOString())}`;
    const r = await api.call('GET', '/api/workflows/{id}/review-metrics', path, undefined, 200);
    expect(r.body.total).toMatchObject({ decided: 4, approved: 2, edited: 1, expired: 1, finished_runs: 6, automated_runs: 1, escalation_p50_seconds: 1_200 });
    expect(r.body.versions).toMatchObject([{ version: 2, version_id: v2 }]);
    const week = await api.call('GET', '/api/workflows/{id}/review-metrics', '/api/workflows/measured/review-metrics?since=7d', undefined, 200);
    expect(week.body.total).toMatchObject({ open: 2 });
    await api.call('GET', '/api/workflows/{id}/review-metrics', '/api/workflows/measured/review-metrics?since=last-tuesday', undefined, 422);
    await api.call('GET', '/api/workflows/{id}/review-metrics', '/api/workflows/measured/review-metrics?version=9', undefined, 404);
    await api.call('GET', '/api/workflows/{id}/review-metrics', '/api/workflows/nobody/review-metrics', undefined, 404);
  });
});
