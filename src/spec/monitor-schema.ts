// Monitors in a workflow file's runbook: rules Keel evaluates on a schedule over the workflow's
// rollups. Exactly one kind of rule per monitor: a metric against a threshold, drift against a
// baseline window, silence (no runs for a while), or spend per day. `stop: true` makes it a stop
// condition: when it fires, the stage is paused until an owner resumes it.
import { z } from 'zod';
import { duration, nonEmpty } from './primitives.js';

/** The figures a metric monitor can watch, each over the monitor's window. */
export const monitorMetrics = [
  'coverage_pct', 'override_pct', 'acceptance_pct', 'failure_pct', 'prompt_success_pct',
  'latency_p95_ms', 'escalation_ms', 'runs', 'cost_usd', 'tokens',
] as const;
export type MonitorMetric = (typeof monitorMetrics)[number];

export const driftFeatures = ['any', 'label', 'route', 'confidence', 'output_length'] as const;
export type DriftFeature = (typeof driftFeatures)[number];

const stageNames = ['design', 'testing', 'sandbox', 'production'] as const;

export const monitorNotifySchema = z
  .object({
    connector: nonEmpty(),
    action: nonEmpty(),
    with: z.record(z.string(), nonEmpty()).default({})
      .describe('The action\'s input: JSONata per field over { incident, monitor, workflow }'),
  })
  .strict();

export const monitorSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9 _-]{0,62}$/i, { error: 'must be 1-63 letters, digits, spaces, _ or -' }),
    metric: z.enum(monitorMetrics).optional().describe('A figure over `window`, compared with `above` or `below`'),
    above: z.number().optional(),
    below: z.number().optional(),
    drift: z
      .object({
        feature: z.enum(driftFeatures).default('any').describe('Which distribution; `any` takes the largest index'),
        psi: z.number().min(0).default(0.25).describe('Fires above this population stability index (0.25: significant shift)'),
        acceptance_change_pct: z.number().min(0).optional().describe('Also fires when the acceptance rate moves by more than this, relative'),
      })
      .strict()
      .optional(),
    no_runs_for: duration().optional().describe('Fires when no run has ended for this long'),
    cost_per_day_above: z.number().min(0).optional().describe('US dollars over the last 24 hours'),
    window: duration().default('1h').describe('The recent window, in whole hours ending with the current one'),
    baseline: duration().default('7d').describe('Drift: the window before the recent one it is compared with'),
    min_runs: z.number().int().min(1).default(50).describe('Fewer runs (or cases) in either window: no verdict'),
    stage: z.enum(stageNames).default('production'),
    stop: z.boolean().default(false).describe('A stop condition: firing pauses the stage until an owner resumes it'),
    notify: z.array(monitorNotifySchema).default([]).describe('Connector actions the alert is sent through'),
  })
  .strict()
  .superRefine((m, ctx) => {
    const kinds = [m.metric, m.drift, m.no_runs_for, m.cost_per_day_above].filter((k) => k !== undefined).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of metric, drift, no_runs_for, cost_per_day_above' });
    if (m.metric !== undefined && (m.above === undefined) === (m.below === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['metric'], message: 'a metric monitor needs exactly one of above or below' });
    }
    if (m.metric === undefined && (m.above !== undefined || m.below !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['above'], message: 'above and below belong to a metric monitor' });
    }
  });

export type MonitorSpec = z.output<typeof monitorSchema>;
