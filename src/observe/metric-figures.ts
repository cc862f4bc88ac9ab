// What the rollups' counters mean as figures: shares, means, latency percentiles read off the
// histogram buckets, and a workflow's business metric against its baseline and target. Pure
// functions over summed counters, so a window and each of its buckets are worked out the same way.
import { metricTimeUnits, type MetricSpec } from '../spec/index.js';
import { counterColumns as counterNames, latencyBounds, type Counter } from './rollup.js';

export { counterNames };
/** The counters of metric_hours (rollup.ts owns the list), summed over some rows. */
export type Counters = Record<Counter, number>;

export function emptyCounters(): Counters {
  return Object.fromEntries(counterNames.map((c) => [c, 0])) as Counters;
}

export function addCounters(into: Counters, more: Partial<Record<string, unknown>>): void {
  for (const c of counterNames) into[c] += Number(more[c] ?? 0);
}

/** Runs per latency bucket, keyed by the bucket's upper bound in ms ('+Inf' past the largest). */
export type Histogram = Map<string, number>;

/** The largest finite latency bound: a percentile beyond it is reported as this bound. */
export const largestLatencyBound = latencyBounds[latencyBounds.length - 1]!;

/**
 * The latency percentile `p` (0-1) as the upper bound of the bucket holding it (nearest rank): the
 * true value is at most this. A percentile in the +Inf bucket is reported as the largest bound
 * (read it as "at least"). Null when no run ended.
 */
export function percentileOf(histogram: Histogram, p: number): number | null {
  const total = [...histogram.values()].reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bound of latencyBounds) {
    seen += histogram.get(String(bound)) ?? 0;
    if (seen >= rank) return bound;
  }
  return largestLatencyBound;
}

const share = (part: number, whole: number): number | null => (whole > 0 ? (100 * part) / whole : null);
const mean = (sum: number, n: number): number | null => (n > 0 ? sum / n : null);

/** The figures of one window or one bucket, as the API answers them. */
export interface Figures extends Counters {
  /** Runs that succeeded with no review task, of runs that ended (0-100). */
  coverage_pct: number | null;
  /** Review tasks edited or rejected, of tasks people decided (0-100). */
  override_pct: number | null;
  /** Review tasks approved as proposed, of tasks people decided (0-100). */
  acceptance_pct: number | null;
  /** Runs that failed, of runs that ended (0-100). */
  failure_pct: number | null;
  /** Model steps whose first call gave a valid output (no repair, no retry), of model steps (0-100). */
  prompt_success_pct: number | null;
  /** Mean ms from a task's escalation to its decision. */
  escalation_mean_ms: number | null;
  latency_mean_ms: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  cost_per_run_usd: number | null;
  /** The mean of the values reported per run (a per_run business metric). */
  metric_mean: number | null;
}

/** The figures of summed counters and their latency histogram: shares, means and percentiles beside the counts. */
export function figuresOf(c: Counters, histogram: Histogram): Figures {
  return {
    ...c,
    coverage_pct: share(c.automated, c.runs),
    override_pct: share(c.overridden, c.reviewed),
    acceptance_pct: share(c.approved, c.reviewed),
    failure_pct: share(c.failed, c.runs),
    prompt_success_pct: share(c.first_try_valid, c.model_steps),
    escalation_mean_ms: mean(c.escalation_ms, c.escalated),
    latency_mean_ms: mean(c.latency_ms, [...histogram.values()].reduce((s, n) => s + n, 0)),
    latency_p50_ms: percentileOf(histogram, 0.5),
    latency_p95_ms: percentileOf(histogram, 0.95),
    latency_p99_ms: percentileOf(histogram, 0.99),
    cost_per_run_usd: mean(c.cost_usd, c.runs),
    metric_mean: mean(c.metric_sum, c.metric_count),
  };
}

type Measure = NonNullable<MetricSpec['measure']>;

// Which way is better when the file does not say (baseline and target equal or one missing).
const naturallyHigher: Record<Measure, boolean> = {
  coverage_pct: true, acceptance_pct: true, prompt_success_pct: true, runs_per_day: true,
  override_pct: false, failure_pct: false, latency_p50_ms: false, latency_p95_ms: false, escalation_ms: false, cost_per_run_usd: false,
};

/**
 * A measure's value from a window's figures, in the metric's unit: durations are converted when the
 * unit is a time unit; runs per day over `days` (the part of the window that has passed).
 */
export function measureValue(metric: Pick<MetricSpec, 'measure' | 'per_run' | 'unit'>, f: Figures, days: number): number | null {
  if (metric.per_run) return f.metric_mean;
  const ms = (v: number | null) => (v === null ? null : v / (metric.unit ? metricTimeUnits[metric.unit] ?? 1 : 1));
  switch (metric.measure) {
    case undefined: return null;
    case 'coverage_pct': return f.coverage_pct;
    case 'override_pct': return f.override_pct;
    case 'acceptance_pct': return f.acceptance_pct;
    case 'failure_pct': return f.failure_pct;
    case 'prompt_success_pct': return f.prompt_success_pct;
    case 'latency_p50_ms': return ms(f.latency_p50_ms);
    case 'latency_p95_ms': return ms(f.latency_p95_ms);
    case 'escalation_ms': return ms(f.escalation_mean_ms);
    case 'cost_per_run_usd': return f.cost_per_run_usd;
    case 'runs_per_day': return days > 0 ? f.runs / days : null;
  }
}

export interface BusinessMetric {
  name: string;
  unit: string | null;
  measure: Measure | null;
  per_run: boolean;
  /** The current value over the window, in `unit`; null when not measured or nothing to measure yet. */
  value: number | null;
  baseline: number | null;
  target: number | null;
  /** Which way is better: from baseline to target when they differ, else the measure's own direction. */
  better: 'higher' | 'lower' | null;
  /** value is better than the baseline (strictly); null when either is unknown. */
  beats_baseline: boolean | null;
  /** value is at least as good as the target; null when either is unknown. */
  meets_target: boolean | null;
}

/** The workflow file's metric with its current value, and how that stands against baseline and target. */
export function businessMetric(metric: MetricSpec, value: number | null): BusinessMetric {
  const baseline = metric.baseline ?? null;
  const target = metric.target ?? null;
  let better: BusinessMetric['better'] = null;
  if (baseline !== null && target !== null && baseline !== target) better = target > baseline ? 'higher' : 'lower';
  else if (metric.measure) better = naturallyHigher[metric.measure] ? 'higher' : 'lower';
  const beats = (reference: number | null, orEqual: boolean): boolean | null => {
    if (value === null || reference === null || better === null) return null;
    if (value === reference) return orEqual;
    return better === 'higher' ? value > reference : value < reference;
  };
  return {
    name: metric.name, unit: metric.unit ?? null, measure: metric.measure ?? null, per_run: metric.per_run === true,
    value, baseline, target, better, beats_baseline: beats(baseline, false), meets_target: beats(target, true),
  };
}
