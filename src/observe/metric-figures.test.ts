// The figures' arithmetic: percentiles read off latency buckets, a measure in the metric's unit, the
// verdict against baseline and target in either direction, and the workflow file refusing a unit
// that does not fit its measure.
import { describe, expect, it } from 'vitest';
import { validateWorkflowText } from '../spec/index.js';
import { businessMetric, emptyCounters, figuresOf, largestLatencyBound, measureValue, percentileOf, type Histogram } from './metric-figures.js';

const histogram = (entries: Record<string, number>): Histogram => new Map(Object.entries(entries));

describe('percentileOf', () => {
  it('answers the upper bound of the bucket holding the nearest rank', () => {
    // 10 runs: 5 at <= 20 ms, 4 at <= 500 ms, 1 at <= 2000 ms.
    const h = histogram({ 20: 5, 500: 4, 2000: 1 });
    expect(percentileOf(h, 0.5)).toBe(20);
    expect(percentileOf(h, 0.51)).toBe(500);
    expect(percentileOf(h, 0.9)).toBe(500);
    expect(percentileOf(h, 0.95)).toBe(2000);
    expect(percentileOf(h, 0.99)).toBe(2000);
  });

  it('reads a percentile past the largest bound as that bound, and nothing as null', () => {
    expect(percentileOf(histogram({ 1: 1, '+Inf': 3 }), 0.5)).toBe(largestLatencyBound);
    expect(percentileOf(new Map(), 0.5)).toBeNull();
  });
});

describe('measureValue and businessMetric', () => {
  const figures = figuresOf({ ...emptyCounters(), runs: 10, automated: 4, reviewed: 5, overridden: 1, approved: 4, cost_usd: 2 }, histogram({ 200_000: 6, 500_000: 4 }));

  it('converts a duration into the metric\'s time unit and divides runs by the days passed', () => {
    expect(measureValue({ measure: 'latency_p50_ms', unit: 'minutes' }, figures, 1)).toBeCloseTo(200_000 / 60_000, 12);
    expect(measureValue({ measure: 'latency_p95_ms' }, figures, 1)).toBe(500_000);
    expect(measureValue({ measure: 'runs_per_day', unit: 'invoices per day' }, figures, 2.5)).toBe(4);
    expect(measureValue({ measure: 'cost_per_run_usd' }, figures, 1)).toBe(0.2);
    expect(measureValue({ per_run: true }, figures, 1)).toBeNull();
    expect(measureValue({}, figures, 1)).toBeNull();
  });

  it('judges against baseline and target in the direction from one to the other', () => {
    const lower = { name: 'time to triage', unit: 'minutes', baseline: 45, target: 5, measure: 'latency_p50_ms' as const };
    expect(businessMetric(lower, 3.3)).toMatchObject({ better: 'lower', beats_baseline: true, meets_target: true });
    expect(businessMetric(lower, 20)).toMatchObject({ better: 'lower', beats_baseline: true, meets_target: false });
    expect(businessMetric(lower, 45)).toMatchObject({ beats_baseline: false, meets_target: false });
    const higher = { name: 'matched', unit: 'percent', baseline: 0, target: 70, measure: 'coverage_pct' as const };
    expect(businessMetric(higher, 70)).toMatchObject({ better: 'higher', beats_baseline: true, meets_target: true });
    // No target: the measure's own direction decides (override is better lower).
    expect(businessMetric({ name: 'overrides', baseline: 30, measure: 'override_pct' }, 20)).toMatchObject({ better: 'lower', beats_baseline: true, meets_target: null });
    expect(businessMetric({ name: 'x', per_run: true }, 3)).toMatchObject({ better: null, beats_baseline: null, meets_target: null, value: 3 });
    expect(businessMetric(higher, null)).toMatchObject({ value: null, beats_baseline: null, meets_target: null });
  });
});

describe('a workflow file\'s measure', () => {
  const file = (metric: string) => `id: m1\ntitle: M\nkind: external\nowner: a@example.com\nrisk: low\nmetric: ${metric}\n`;

  it('accepts a unit that fits the measure and refuses one that does not, or measure with per_run', async () => {
    expect((await validateWorkflowText(file('{ name: t, unit: hours, baseline: 3, target: 0.5, measure: latency_p95_ms }'), 'm.yaml')).ok).toBe(true);
    expect((await validateWorkflowText(file('{ name: t, unit: percent, measure: override_pct }'), 'm.yaml')).ok).toBe(true);
    const wrong = await validateWorkflowText(file('{ name: t, unit: minutes, measure: coverage_pct }'), 'm.yaml');
    expect(wrong.ok ? [] : wrong.problems).toEqual([expect.objectContaining({ path: expect.stringMatching(/metric\.unit$/), message: expect.stringMatching(/coverage_pct is not in minutes/) })]);
    const both = await validateWorkflowText(file('{ name: t, measure: coverage_pct, per_run: true }'), 'm.yaml');
    expect(both.ok ? [] : both.problems).toEqual([expect.objectContaining({ path: expect.stringMatching(/metric\.per_run$/) })]);
  });
});
