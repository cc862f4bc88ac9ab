// Fills the observe tables as 30 days of traffic would: the hourly rollups of one busy workflow
// (three versions promoted one after another through testing and sandbox into production, with a
// daily rhythm) and of 20 quieter ones, and the spans those runs left (six per run), generated in
// SQL with generate_series in chunks. Only bench code writes these rows; Keel reads them.
import type { Db } from '../../src/db/index.js';
import { deployWorkflow } from '../../src/registry/index.js';

export const mainWorkflow = 'bench-metrics';
export const otherWorkflows = Array.from({ length: 20 }, (_, i) => `bench-other-${i + 1}`);
const hours = 720;
const spansPerRun = 6;

const file = (id: string, title: string) => `id: ${id}
title: ${title}
owner: bench@example.com
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
metric: { name: tickets handled without a person, unit: percent, baseline: 40, target: 75, measure: coverage_pct }
steps:
  - { id: s1, kind: transform, expression: '{ "ok": true }' }
`;

/** Deploys the workflows (three versions of the main one) and answers the main one's version ids, oldest first. */
export async function deployBenchWorkflows(db: Db): Promise<string[]> {
  const versions: string[] = [];
  for (const n of [1, 2, 3]) {
    const r = await deployWorkflow(db, { source: file(mainWorkflow, `Benchmark metrics v${n}`), sourceName: 'bench.yaml', stage: 'production', actor: 'bench' });
    versions.push(r.version.id);
  }
  for (const id of otherWorkflows) await deployWorkflow(db, { source: file(id, id), sourceName: 'bench.yaml', stage: 'production', actor: 'bench' });
  return versions;
}

/**
 * One metric_hours row per (workflow, version, stage, hour) where traffic ran. Production carries
 * the main workflow's volume (about 2,300 runs an hour on average, busier by day): v1 for the first
 * 10 days, v2 the next 10, v3 the last; each new version ran in testing (2 %) for 3 days and in
 * sandbox (20 %) for 2 days before its promotion, and the old one drained in production for 12
 * hours after. The other workflows each ran about 200 runs an hour in production.
 */
export async function fillRollups(db: Db, versions: string[], endHour: Date, scale = 1): Promise<{ hourRows: number; countRows: number; runs: number }> {
  const [v1, v2, v3] = versions;
  const start = new Date(endHour.getTime() - (hours - 1) * 3_600_000);
  const plan = [
    [mainWorkflow, v1, 'production', 0, 240, 1], [mainWorkflow, v1, 'production', 240, 252, 0.03],
    [mainWorkflow, v2, 'testing', 168, 240, 0.02], [mainWorkflow, v2, 'sandbox', 192, 240, 0.2], [mainWorkflow, v2, 'production', 240, 480, 1],
    [mainWorkflow, v2, 'production', 480, 492, 0.03],
    [mainWorkflow, v3, 'testing', 408, 480, 0.02], [mainWorkflow, v3, 'sandbox', 432, 480, 0.2], [mainWorkflow, v3, 'production', 480, 720, 1],
    ...otherWorkflows.map((id) => [id, '', 'production', 0, 720, 200 / 2300]),
  ];
  // Hour h's volume: 2,300 x factor x (1 + 0.6 x a daily wave peaking mid-afternoon): 920 to 3,680 an hour.
  await db.query(
    `INSERT INTO metric_hours (workflow_id, version_id, stage, hour, runs, succeeded, failed, rejected, canceled, outcome_unknown,
       automated, reviewed, approved, overridden, escalated, escalation_ms, latency_ms, model_steps, first_try_valid, model_calls,
       tokens_in, tokens_out, cost_usd)
     SELECT p.workflow_id, coalesce(nullif(p.version_id, ''), (SELECT latest_version_id FROM workflows w WHERE w.id = p.workflow_id)), p.stage,
            $2::timestamptz + h * interval '1 hour', r, round(r * 0.93), round(r * 0.02), round(r * 0.03), round(r * 0.01), round(r * 0.01),
            round(r * 0.70), round(r * 0.25), round(r * 0.21), round(r * 0.04), round(r * 0.01), round(r * 0.01) * 1800000.0, r * 2500.0,
            r, round(r * 0.96), round(r * 1.05), r * 900, r * 250, r * 0.0012
       FROM jsonb_to_recordset($1::jsonb) AS p(workflow_id text, version_id text, stage text, from_h int, to_h int, factor float8),
            generate_series(p.from_h, p.to_h - 1) AS h,
            LATERAL (SELECT greatest(1, round($3::float8 * 2300 * p.factor * (1 + 0.6 * sin(2 * pi() * ((h % 24) - 9) / 24.0))))::int AS r) AS v`,
    [JSON.stringify(plan.map(([workflow_id, version_id, stage, from_h, to_h, factor]) => ({ workflow_id, version_id, stage, from_h, to_h, factor }))), start, scale],
  );
  // Distributions: latency buckets of the runs (automated ones fast, reviewed ones waiting minutes to
  // hours), error classes of the failures, and the drift features (20 labels, 10 confidence bins, 3
  // routes, 6 output lengths): about 55 rows per rollup row.
  const latency = [[50, 0.02], [100, 0.08], [200, 0.15], [500, 0.2], [1000, 0.15], [2000, 0.08], [5000, 0.02],
    [60000, 0.05], [300000, 0.08], [600000, 0.07], [1800000, 0.06], [3600000, 0.03], [18000000, 0.01]];
  const dims = [
    ...latency.map(([v, s]) => ['latency', String(v), 'runs', s]),
    ['error_class', 'step_timeout', 'failed', 0.5], ['error_class', 'provider_rate_limited', 'failed', 0.3], ['error_class', 'step_failed', 'failed', 0.2],
    ...Array.from({ length: 20 }, (_, i) => ['label', `intent_${i + 1}`, 'runs', 0.05]),
    ...Array.from({ length: 10 }, (_, i) => ['confidence', (i / 10).toFixed(1), 'runs', 0.1]),
    ...['auto', 'review', 'escalate'].map((r, i) => ['route', `pick:${r}`, 'runs', [0.7, 0.28, 0.02][i]]),
    ...[64, 128, 256, 512, 1024, 2048].map((b) => ['output_length', String(b), 'succeeded', 1 / 6]),
  ];
  await db.query(
    `INSERT INTO metric_counts (workflow_id, version_id, stage, hour, dimension, value, runs)
     SELECT h.workflow_id, h.version_id, h.stage, h.hour, d.dimension, d.value,
            greatest(0, round(CASE d.base WHEN 'failed' THEN h.failed WHEN 'succeeded' THEN h.succeeded ELSE h.runs END * d.share))::int
       FROM metric_hours h CROSS JOIN jsonb_to_recordset($1::jsonb) AS d(dimension text, value text, base text, share float8)`,
    [JSON.stringify(dims.map(([dimension, value, base, share]) => ({ dimension, value, base, share })))],
  );
  const counted = (await db.query<{ hours: number; counts: number; runs: number }>(
    `SELECT (SELECT count(*)::int FROM metric_hours) AS hours, (SELECT count(*)::int FROM metric_counts) AS counts,
            (SELECT sum(runs)::float8 FROM metric_hours) AS runs`,
  )).rows[0]!;
  return { hourRows: counted.hours, countRows: counted.counts, runs: Number(counted.runs) };
}

/**
 * `total` spans in `spans`: runs of six spans each (the root, three steps, a model call, a decision),
 * spread evenly over the 30 days before `end`; four in five belong to the main workflow. Written in
 * chunks so that neither database holds the whole batch at once; `progress` is told after each chunk.
 */
export async function fillSpans(db: Db, total: number, end: Date, chunkRuns: number, progress: (done: number) => void): Promise<void> {
  const runs = Math.floor(total / spansPerRun);
  const start = new Date(end.getTime() - hours * 3_600_000);
  const stepMs = (hours * 3_600_000) / runs;
  const others = `ARRAY[${otherWorkflows.map((w) => `'${w}'`).join(',')}]`;
  for (let from = 0; from < runs; from += chunkRuns) {
    const to = Math.min(runs, from + chunkRuns) - 1;
    await db.query(
      `INSERT INTO spans (trace_id, span_id, parent_span_id, workflow_id, run_id, source, name, kind, started_at, ended_at, status, attributes, stored_at)
       SELECT md5('trace:' || n), substr(md5('span:' || n || ':' || k), 1, 16),
              CASE WHEN k = 0 THEN NULL ELSE substr(md5('span:' || n || ':0'), 1, 16) END,
              wf, 'run_bench_' || n, 'keel',
              (ARRAY['run ' || wf, 'classify intent', 'route pick', 'model draft', 'chat gpt-4o-mini', 'decision check'])[k + 1],
              (ARRAY['server', 'internal', 'internal', 'internal', 'client', 'internal'])[k + 1],
              t0 + k * interval '150 ms', t0 + (k + 1) * interval '150 ms' + CASE WHEN k = 0 THEN interval '1 second' ELSE interval '0' END,
              CASE WHEN n % 50 = 0 AND k = 0 THEN 'error' ELSE 'ok' END,
              jsonb_build_object('keel.workflow.id', wf, 'keel.run.id', 'run_bench_' || n, 'keel.stage', 'production', 'keel.step.id', 's' || k)
                || CASE WHEN k = 4 THEN jsonb_build_object('gen_ai.operation.name', 'chat', 'gen_ai.request.model', 'gpt-4o-mini',
                     'gen_ai.usage.input_tokens', 900, 'gen_ai.usage.output_tokens', 250) ELSE '{}'::jsonb END,
              t0 + interval '2 seconds'
         FROM generate_series($1::int, $2::int) AS n,
              LATERAL (SELECT $3::timestamptz + n * $4::float8 * interval '1 millisecond' AS t0,
                              CASE WHEN n % 5 = 0 THEN (${others})[(n / 5) % 20 + 1] ELSE '${mainWorkflow}' END AS wf) AS r,
              generate_series(0, ${spansPerRun - 1}) AS k`,
      [from, to, start, stepMs],
    );
    progress((to + 1) * spansPerRun);
  }
}
