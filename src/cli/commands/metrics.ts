// `keel metrics`: a workflow's figures from the rollups, in total and per hour or day; and
// `keel metrics reviews`: how people treat what a workflow proposes, in total and per version.
import { seg } from '../api-client.js';
import type { MetricFigures, Metrics, ReviewFigures, ReviewMetrics } from '../api-types.js';
import { exitCodes, UsageError, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

const workflowUsage = 'keel metrics WORKFLOW [--since 7d] [--bucket day|hour] [--stage S] [--version N]';

export const metricsCommand: CommandSpec = {
  path: ['metrics'],
  usage: workflowUsage,
  summary: 'Metrics of a workflow: runs, failures, coverage %, override %, latency, tokens and cost, queue, its business metric; per day or hour',
  options: {
    since: { type: 'string', value: 'D', description: 'start of the window: a duration back from now (7d, 24h) or a timestamp (default 7d)' },
    bucket: { type: 'string', value: 'B', description: 'day (default) or hour' },
    stage: { type: 'string', value: 'S', description: 'only this stage (design, testing, sandbox, production)' },
    version: { type: 'string', value: 'N', description: 'only this version (number, v3 or id)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const bucket = ctx.string('bucket');
    if (bucket !== undefined && bucket !== 'day' && bucket !== 'hour') throw new UsageError(`--bucket must be day or hour, not "${bucket}"`, workflowUsage);
    const m = await (await ctx.api()).get<Metrics>('/api/metrics', {
      workflow: ctx.args[0], from: ctx.string('since') ?? '7d', bucket, stage: ctx.string('stage'), version: ctx.string('version'),
    });
    if (ctx.json) return jsonAnswer(ctx.io, m);
    for (const line of workflowMetricsLines(m)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

const pctOf = (pct: number | null, part: number, whole: number) => (pct === null ? '-' : `${pct.toFixed(1)}% (${part}/${whole})`);
const usd = (v: number) => `$${v.toFixed(v !== 0 && Math.abs(v) < 0.01 ? 6 : 2)}`;
/** A latency bound: `200 ms`, `5 s`, `2h 0m`; `-` when no run ended. */
const bound = (ms: number | null) => (ms === null ? '-' : ms < 1_000 ? `${ms} ms` : ms < 60_000 ? `${ms / 1000} s` : seconds(ms / 1000));

function metricLine(m: Metrics): string {
  const b = m.business_metric;
  if (!b) return 'none declared in the workflow file';
  const unit = b.unit ? ` ${b.unit}` : '';
  const goals = [b.baseline === null ? '' : `baseline ${b.baseline}${unit}`, b.target === null ? '' : `target ${b.target}${unit}`].filter(Boolean).join(', ');
  const head = `${b.name}${goals ? ` (${goals})` : ''}`;
  if (!b.measure && !b.per_run) return `${head}: not measured by Keel (the file names no measure)`;
  if (b.value === null) return `${head}: nothing measured in the window`;
  const verdict = [
    b.beats_baseline === null ? '' : b.beats_baseline ? 'beats the baseline' : 'does not beat the baseline',
    b.meets_target === null ? '' : b.meets_target ? 'meets the target' : 'short of the target',
  ].filter(Boolean).join(', ');
  return `${head}: ${Number(b.value.toFixed(3))}${unit}${verdict ? `, ${verdict}` : ''}`;
}

/** The figures as a person reads them: the window's totals, then one row per bucket. */
export function workflowMetricsLines(m: Metrics): string[] {
  const t = m.totals;
  const where = [m.stage ?? 'every stage', m.version === null ? '' : `v${m.version}`].filter(Boolean).join(', ');
  const lines = [
    `metrics of ${m.workflow_id}, ${where}, ${time(m.from)} to ${time(m.to)}, by ${m.bucket}`,
    '',
    ...table(['FIGURE', 'VALUE'], [
      ['runs', `${t.runs} ended: ${t.succeeded} succeeded, ${t.failed} failed, ${t.rejected} rejected, ${t.canceled} canceled, ${t.outcome_unknown} outcome unknown`],
      ['coverage', pctOf(t.coverage_pct, t.automated, t.runs)],
      ['override', pctOf(t.override_pct, t.overridden, t.reviewed)],
      ['acceptance', pctOf(t.acceptance_pct, t.approved, t.reviewed)],
      ['prompt success', pctOf(t.prompt_success_pct, t.first_try_valid, t.model_steps)],
      ['latency', t.runs === 0 ? '-' : `p50 <= ${bound(m.latency.p50_ms)}, p95 <= ${bound(m.latency.p95_ms)}, p99 <= ${bound(m.latency.p99_ms)}`],
      ['escalation', t.escalation_mean_ms === null ? '-' : `${seconds(t.escalation_mean_ms / 1000)} mean over ${t.escalated}`],
      ['tokens', `${t.tokens_in} in, ${t.tokens_out} out (${t.model_calls} calls)`],
      ['cost', `${usd(t.cost_usd)}${t.cost_per_run_usd === null ? '' : ` (${usd(t.cost_per_run_usd)} a run)`}`],
      ['queue now', `${m.queue.open} open${m.queue.oldest_age_seconds === null ? '' : `, oldest ${seconds(m.queue.oldest_age_seconds)}`}`],
      ['failures', m.failures_by_class.length === 0 ? '-' : m.failures_by_class.map((f) => `${f.error_class} ${f.runs}`).join(', ')],
      ['metric', metricLine(m)],
    ]),
    '',
    ...table(['BUCKET', 'RUNS', 'FAILED', 'COVERAGE', 'OVERRIDE', 'P50', 'P95', 'TOKENS', 'COST'], m.series.map((p) => [
      m.bucket === 'day' ? p.start.slice(0, 10) : `${p.start.slice(0, 13).replace('T', ' ')}:00Z`,
      String(p.runs), String(p.failed), pct(p.coverage_pct), pct(p.override_pct), bound(p.latency_p50_ms), bound(p.latency_p95_ms),
      String(p.tokens_in + p.tokens_out), usd(p.cost_usd),
    ])),
    '',
    'latency: the upper bound of the rollup bucket the percentile falls in (1, 2, 5 steps)',
  ];
  return lines;
}

const pct = (v: MetricFigures['coverage_pct']) => (v === null ? '-' : `${v.toFixed(1)}%`);

const usage = 'keel metrics reviews WORKFLOW [--version N] [--since 7d] [--until T]';

export const metricsReviewsCommand: CommandSpec = {
  path: ['metrics', 'reviews'],
  usage,
  summary: 'Review metrics of a workflow: override %, automation coverage %, escalation latency, open queue, reasons; per version',
  options: {
    version: { type: 'string', value: 'N', description: 'only this version (number, v3 or id)' },
    since: { type: 'string', value: 'D', description: 'start of the window: a duration back from now (7d, 24h) or a timestamp (default 7d)' },
    until: { type: 'string', value: 'T', description: 'end of the window, a timestamp (default now)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const m = await (await ctx.api()).get<ReviewMetrics>(`/api/workflows/${seg(id)}/review-metrics`, {
      version: ctx.string('version'), since: ctx.string('since'), until: ctx.string('until'),
    });
    if (ctx.json) return jsonAnswer(ctx.io, m);
    for (const line of metricsLines(m)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

/** The figures as a person reads them: one row per version under the total, then the reasons. */
export function metricsLines(m: ReviewMetrics): string[] {
  const row = (label: string, f: ReviewFigures) => [
    label, String(f.decided), share(f.override_pct, f.edited + f.rejected, f.approved + f.edited + f.rejected), String(f.expired),
    share(f.coverage_pct, f.automated_runs, f.finished_runs), seconds(f.escalation_p50_seconds), seconds(f.escalation_p95_seconds),
    String(f.open), seconds(f.oldest_open_seconds),
  ];
  const rows = [row('all', m.total), ...m.versions.map((v) => row(v.version === null ? '(none)' : `v${v.version}`, v))];
  const lines = [
    `review metrics of ${m.workflow_id}, ${time(m.since)} to ${time(m.until)}`,
    '',
    ...table(['VERSION', 'DECIDED', 'OVERRIDE', 'EXPIRED', 'COVERAGE', 'ESC P50', 'ESC P95', 'OPEN', 'OLDEST OPEN'], rows),
  ];
  if (m.total.by_reason.length > 0) {
    const reasons = m.total.by_reason.map((r) => [r.reason, String(r.asked), String(r.decided), String(r.overridden), String(r.expired)]);
    lines.push('', ...table(['REASON', 'ASKED', 'DECIDED', 'OVERRIDDEN', 'EXPIRED'], reasons));
  }
  lines.push(
    '',
    'override: edited + rejected of the tasks people decided (expired tasks apart)',
    'coverage: runs that succeeded without any review task, of the runs that finished in the window',
  );
  return lines;
}

/** `25.0% (3/12)`, or `-` when there is nothing to divide by. */
function share(pct: number | null, part: number, whole: number): string {
  return pct === null ? '-' : `${pct.toFixed(1)}% (${part}/${whole})`;
}

/** `45s`, `12m 5s`, `3h 20m`, `2d 4h`; `-` for none. */
export function seconds(value: number | null): string {
  if (value === null) return '-';
  const s = Math.round(value);
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${Math.floor((s % 3_600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3_600)}h`;
}
