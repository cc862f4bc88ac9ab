// A workflow's business metric in its file: what it is called, its baseline and target, and which
// of Keel's own figures measures it (or that it is reported per run).
import { z } from 'zod';
import { nonEmpty } from './primitives.js';

/**
 * The figures Keel measures itself that a workflow's business metric can name (`measure`). Shares
 * are 0-100 and durations milliseconds; a duration is shown in the metric's `unit` when that is a
 * time unit (minutes, hours, ...). Each is read from the hourly rollups (src/observe/metrics.ts).
 */
export const metricMeasures = [
  'coverage_pct', 'override_pct', 'acceptance_pct', 'failure_pct', 'prompt_success_pct',
  'latency_p50_ms', 'latency_p95_ms', 'escalation_ms', 'cost_per_run_usd', 'runs_per_day',
] as const;

/** Time units a duration measure may be shown in, with their length in milliseconds. */
export const metricTimeUnits: Readonly<Record<string, number>> = {
  ms: 1, milliseconds: 1, s: 1_000, seconds: 1_000, min: 60_000, minutes: 60_000, h: 3_600_000, hours: 3_600_000, d: 86_400_000, days: 86_400_000,
};

// The unit a measure's value comes in decides which `unit` words fit it: a share compared with a
// baseline in minutes would be a meaningless verdict, so the mismatch is an error in the file.
const unitsFor = (measure: (typeof metricMeasures)[number]): readonly string[] | 'time' | 'any' =>
  measure.endsWith('_pct') ? ['percent', '%'] : measure === 'cost_per_run_usd' ? ['USD', 'usd', '$'] : measure === 'runs_per_day' ? 'any' : 'time';

export const metricSchema = z
  .object({
    name: nonEmpty(),
    unit: z.string().optional(),
    baseline: z.number().optional(),
    target: z.number().optional(),
    measure: z.enum(metricMeasures).optional()
      .describe('Which of Keel\'s own figures this metric is, so its current value is shown against baseline and target: shares in percent, durations in the metric\'s time unit (ms when none), cost in USD per run'),
    per_run: z.boolean().optional()
      .describe('The value is reported per run (an external workflow sets keel.metric.value on its root span); the current value is their mean'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.measure !== undefined && m.per_run === true) {
      ctx.addIssue({ code: 'custom', path: ['per_run'], message: 'a metric is either one of Keel\'s figures (measure) or reported per run (per_run), not both' });
    }
    if (m.measure === undefined || m.unit === undefined) return;
    const fits = unitsFor(m.measure);
    const ok = fits === 'any' || (fits === 'time' ? m.unit in metricTimeUnits : fits.includes(m.unit));
    if (!ok) {
      const expected = fits === 'time' ? Object.keys(metricTimeUnits).join(', ') : (fits as readonly string[]).join(', ');
      ctx.addIssue({ code: 'custom', path: ['unit'], message: `the measure ${m.measure} is not in ${m.unit}; use one of: ${expected} (or leave unit out)` });
    }
  });
