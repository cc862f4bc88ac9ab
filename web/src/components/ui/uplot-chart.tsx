// The drawing half of TimeChart: a uPlot canvas sized to its box (and redrawn when the box changes
// width), rebuilt only when the chart's shape changes; new figures for the same shape are set in
// place. Loaded lazily by TimeChart, so uPlot and its CSS travel only with the pages that chart.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSeries, ChartSpec } from './TimeChart';

const defaultHeight = 180;

/** The grouped-bar layout: each bar series takes its own slot around the bucket's time. */
function barsFor(index: number, count: number): uPlot.Series.PathBuilder | undefined {
  const bars = uPlot.paths.bars;
  if (!bars) return undefined;
  if (count === 1) return bars({ size: [0.6, 48], align: 0 });
  return bars({ size: [0.6 / count, 24], align: index === 0 ? -1 : 1 });
}

function seriesOptions(spec: ChartSpec): uPlot.Series[] {
  const barSeries = spec.series.filter((s) => s.style === 'bars');
  return spec.series.map((s: ChartSeries) => {
    const format = s.axis === 'right' && spec.formatRight ? spec.formatRight : spec.format;
    const common: uPlot.Series = {
      label: s.label, stroke: s.color, width: 2, scale: s.axis === 'right' ? 'right' : 'y',
      value: (_u, v) => (v === null || v === undefined ? '–' : format(v)),
      spanGaps: false,
    };
    if (s.style === 'bars') {
      return { ...common, width: 1, fill: `${s.color}cc`, paths: barsFor(barSeries.indexOf(s), barSeries.length), points: { show: false } };
    }
    // Points always: at most 31 buckets, and a value between gaps would otherwise not show at all.
    return { ...common, dash: s.style === 'dashed' ? [6, 4] : undefined, points: { show: true, size: 5 } };
  });
}

function niceTop(max: number): number {
  if (!(max > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil((max * 1.1) / step) * step;
}

function options(spec: ChartSpec, width: number): uPlot.Options {
  const halfBucket = (spec.bucket === 'hour' ? 3_600 : 86_400) / 2;
  const right = spec.series.some((s) => s.axis === 'right');
  const axisFormat = (format: (v: number) => string) => (_u: uPlot, splits: number[]) => splits.map((v) => format(v));
  return {
    width, height: spec.height ?? defaultHeight,
    series: [{ label: spec.bucket === 'hour' ? 'Hour' : 'Day' }, ...seriesOptions(spec)],
    scales: {
      // Half a bucket each side, so the first and last bars are drawn whole.
      x: { time: true, range: (_u, min, max) => [min - halfBucket, max + halfBucket] },
      y: { range: (_u, _min, max) => [0, spec.yMax ?? niceTop(max)] },
      ...(right ? { right: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, niceTop(max)] } } : {}),
    },
    axes: [
      { stroke: '#5b6570', grid: { stroke: '#eef0f2' } },
      { stroke: '#5b6570', grid: { stroke: '#eef0f2' }, size: 64, values: axisFormat(spec.formatAxis ?? spec.format) },
      ...(right ? [{ scale: 'right', side: 1 as const, stroke: '#5b6570', grid: { show: false }, size: 64, values: axisFormat(spec.formatRight ?? spec.format) }] : []),
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

function dataOf(spec: ChartSpec): uPlot.AlignedData {
  return [spec.times.map((t) => t / 1000), ...spec.series.map((s) => s.values as (number | null)[])];
}

export default function UPlotChart({ spec }: { spec: ChartSpec }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const latest = useRef(spec);
  latest.current = spec;
  // The shape: what needs a new uPlot rather than new data.
  const shape = JSON.stringify([spec.title, spec.bucket, spec.kind, spec.yMax, spec.height, spec.series.map((s) => [s.label, s.color, s.style, s.axis])]);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const u = new uPlot(options(latest.current, Math.max(el.clientWidth, 200)), dataOf(latest.current), el);
    plot.current = u;
    let width = el.clientWidth;
    const observer = new ResizeObserver(() => {
      const next = el.clientWidth;
      if (next > 0 && next !== width) {
        width = next;
        u.setSize({ width: next, height: latest.current.height ?? defaultHeight });
      }
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(dataOf(spec));
  }, [spec]);

  return <div ref={box} className="chart-canvas" aria-hidden="true" />;
}
