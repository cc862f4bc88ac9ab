// Which charts the metrics answer becomes: runs (succeeded and failed), automation coverage, human
// override, latency p50 and p95, cost with tokens, and the business metric when it is measured.
import type { Metrics } from '../../lib/api-types';
import type { ChartSpec } from '../../components/ui/TimeChart';
import { formatCount, formatInUnit, formatLatency, formatPct, formatTokens, formatUsd } from './metric-format';

/** The page's palette (styles.css), for the canvas, which cannot read CSS variables. */
export const palette = { good: '#1d7a3a', bad: '#b42318', accent: '#1f5f99', wait: '#9a6700', muted: '#5b6570', violet: '#6b4fa0' } as const;

export function chartsOf(m: Metrics): ChartSpec[] {
  const s = m.series;
  const times = s.map((p) => new Date(p.start).getTime());
  const base = { times, bucket: m.bucket };
  const charts: ChartSpec[] = [
    {
      ...base, title: 'Runs', kind: 'count', format: formatCount,
      series: [
        { label: 'succeeded', values: s.map((p) => p.succeeded), color: palette.good, style: 'bars' },
        { label: 'failed', values: s.map((p) => p.failed), color: palette.bad, style: 'bars' },
      ],
    },
    {
      ...base, title: 'Automation coverage', kind: 'level', format: formatPct, yMax: 100,
      series: [{ label: 'coverage', values: s.map((p) => p.coverage_pct), color: palette.accent }],
    },
    {
      ...base, title: 'Human override', kind: 'level', format: formatPct, yMax: 100,
      series: [{ label: 'override', values: s.map((p) => p.override_pct), color: palette.wait }],
    },
    {
      ...base, title: 'Latency', kind: 'level', format: formatLatency,
      series: [
        { label: 'p50', values: s.map((p) => p.latency_p50_ms), color: palette.accent },
        { label: 'p95', values: s.map((p) => p.latency_p95_ms), color: palette.wait, style: 'dashed' },
      ],
    },
    {
      ...base, title: 'Cost and tokens', kind: 'count', format: formatUsd, formatRight: formatTokens,
      series: [
        { label: 'cost', values: s.map((p) => p.cost_usd), color: palette.accent, style: 'bars' },
        { label: 'tokens', values: s.map((p) => p.tokens_in + p.tokens_out), color: palette.violet, style: 'dashed', axis: 'right' },
      ],
    },
  ];
  const b = m.business_metric;
  if (b && s.some((p) => p.metric_value !== null)) {
    const flat = (v: number | null) => s.map(() => v);
    const unit = b.unit?.toLowerCase();
    const format = unit === 'percent' || unit === '%' ? formatPct : unit === 'usd' || unit === '$' ? formatUsd : (v: number) => formatInUnit(v, b.unit);
    charts.push({
      ...base, title: b.name, kind: 'level', format, formatAxis: format === formatPct || format === formatUsd ? undefined : (v) => formatInUnit(v, null),
      series: [
        { label: 'value', values: s.map((p) => p.metric_value), color: palette.accent },
        ...(b.baseline !== null ? [{ label: 'baseline', values: flat(b.baseline), color: palette.muted, style: 'dashed' as const }] : []),
        ...(b.target !== null ? [{ label: 'target', values: flat(b.target), color: palette.good, style: 'dashed' as const }] : []),
      ],
    });
  }
  return charts;
}
