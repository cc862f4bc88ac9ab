// `keel metrics reviews`: how people treat what a workflow proposes, in total and per version.
import { seg } from '../api-client.js';
import type { ReviewFigures, ReviewMetrics } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

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
