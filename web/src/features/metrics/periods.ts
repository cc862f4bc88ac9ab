// The time windows the workflow page's metrics are read over, and the stage they count. Both live in
// the URL (?metrics=7d&metrics_stage=sandbox) so a view can be linked; the defaults are left out.
import type { Run } from '../../lib/api-types';

export interface Period {
  value: '24h' | '7d' | '30d';
  label: string;
  bucket: 'hour' | 'day';
  /** Drift compares this recent window with the baseline before it. */
  drift: { window: string; baseline: string; label: string };
}

export const periods: readonly Period[] = [
  { value: '24h', label: 'Last 24 hours, by hour', bucket: 'hour', drift: { window: '24h', baseline: '7d', label: 'the last 24 hours against the 7 days before' } },
  { value: '7d', label: 'Last 7 days, by day', bucket: 'day', drift: { window: '7d', baseline: '28d', label: 'the last 7 days against the 28 days before' } },
  { value: '30d', label: 'Last 30 days, by day', bucket: 'day', drift: { window: '30d', baseline: '90d', label: 'the last 30 days against the 90 days before' } },
];

export const defaultPeriod = periods[0]!;

export function periodOf(value: string | null): Period {
  return periods.find((p) => p.value === value) ?? defaultPeriod;
}

export type StageChoice = Run['stage'] | 'all';
const stageChoices: readonly StageChoice[] = ['production', 'sandbox', 'testing', 'design', 'all'];

/** The stage asked for in the URL; production when none (or an unknown one) is. */
export function stageOf(value: string | null): StageChoice {
  return stageChoices.find((s) => s === value) ?? 'production';
}

export const stageOptions = stageChoices;
