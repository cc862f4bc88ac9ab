// A chart of figures over time buckets, drawn by uPlot (loaded on first use, so pages without charts
// do not carry it). What the picture says is also said in words: a visible title, an aria-label
// that sums up each series, and the plain data table behind a toggle, for screen readers and tests.
import { lazy, Suspense, useId, useState } from 'react';
import './time-chart.css';

const UPlotChart = lazy(() => import('./uplot-chart'));

export interface ChartSeries {
  label: string;
  /** One value per bucket; null where there was nothing to measure (drawn as a gap). */
  values: readonly (number | null)[];
  color: string;
  /** A line (dashed, to tell a second line apart without colour), or bars. */
  style?: 'line' | 'dashed' | 'bars';
  /** The right-hand axis, for a series in another unit (read with formatRight). */
  axis?: 'left' | 'right';
}

export interface ChartSpec {
  title: string;
  /** Start of each bucket, ms since the epoch, oldest first. */
  times: readonly number[];
  bucket: 'hour' | 'day';
  series: readonly ChartSeries[];
  format(value: number): string;
  /** The left axis's labels when format is too long for it (a unit written out); format otherwise. */
  formatAxis?(value: number): string;
  formatRight?(value: number): string;
  /** Counts add up over the window (the summary gives totals); levels do not (it gives the range). */
  kind: 'count' | 'level';
  /** A fixed top of the left axis (100 for shares); otherwise it fits the data. */
  yMax?: number;
  height?: number;
}

/** A bucket's start as people read it: the hour for hourly buckets, the day for daily ones. */
export function bucketLabel(at: number, bucket: 'hour' | 'day'): string {
  const d = new Date(at);
  return bucket === 'hour'
    ? d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false })
    : d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

function formatOf(spec: ChartSpec, s: ChartSeries): (v: number) => string {
  return s.axis === 'right' && spec.formatRight ? spec.formatRight : spec.format;
}

/** One sentence per series: what a sighted reader takes from the picture at a glance. */
export function chartSummary(spec: ChartSpec): string {
  const n = spec.times.length;
  const span = n === 0 ? 'no buckets' : `${n} ${spec.bucket === 'hour' ? 'hours' : 'days'} from ${bucketLabel(spec.times[0]!, spec.bucket)} to ${bucketLabel(spec.times[n - 1]!, spec.bucket)}`;
  const parts = spec.series.map((s) => {
    const fmt = formatOf(spec, s);
    const known = s.values.filter((v): v is number => v !== null);
    if (known.length === 0) return `${s.label}: no data`;
    const max = Math.max(...known);
    if (spec.kind === 'count') return `${s.label}: ${fmt(known.reduce((a, b) => a + b, 0))} in all, at most ${fmt(max)} in one ${spec.bucket}`;
    return `${s.label}: from ${fmt(Math.min(...known))} to ${fmt(max)}, latest ${fmt(known[known.length - 1]!)}`;
  });
  return `${spec.title}, ${span}. ${parts.join('; ')}.`;
}

export function TimeChart({ spec }: { spec: ChartSpec }) {
  const [showTable, setShowTable] = useState(false);
  const id = useId();
  const summary = chartSummary(spec);
  const empty = spec.series.every((s) => s.values.every((v) => v === null || v === 0));
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">{spec.title}</figcaption>
      <div className="chart-picture" role="img" aria-label={summary}>
        <Suspense fallback={<div className="chart-loading muted small">Drawing…</div>}>
          <UPlotChart spec={spec} />
        </Suspense>
        {empty ? <p className="chart-empty muted small" aria-hidden="true">nothing in this window</p> : null}
      </div>
      <button type="button" className="link small" aria-expanded={showTable} aria-controls={`${id}-table`} onClick={() => setShowTable(!showTable)}>
        {showTable ? 'Hide' : 'Show'} data table<span className="visually-hidden"> of {spec.title}</span>
      </button>
      {showTable ? (
        <div className="table-wrap" id={`${id}-table`}>
          <table className="chart-table">
            <caption className="visually-hidden">{spec.title}, per {spec.bucket}</caption>
            <thead>
              <tr>
                <th scope="col">{spec.bucket === 'hour' ? 'Hour' : 'Day'}</th>
                {spec.series.map((s) => <th key={s.label} scope="col" className="num">{s.label}</th>)}
              </tr>
            </thead>
            <tbody>
              {spec.times.map((t, i) => (
                <tr key={t}>
                  <th scope="row"><time dateTime={new Date(t).toISOString()}>{bucketLabel(t, spec.bucket)}</time></th>
                  {spec.series.map((s) => {
                    const v = s.values[i];
                    return <td key={s.label} className="num">{v === null || v === undefined ? '–' : formatOf(spec, s)(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </figure>
  );
}
