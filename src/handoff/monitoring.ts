// The monitoring view of the pack: the last seven days from Keel's own figures, read through the
// observe slice (the same computation as GET /api/metrics) and the review slice (decisions by
// outcome), never re-derived here; then the monitors with their stop conditions and what is open.
import type { Queryable } from '../db/index.js';
import { listIncidents, listMonitorRules, readMetrics } from '../observe/index.js';
import type { Stage, VersionRow } from '../registry/index.js';
import { reviewMetrics } from '../review/index.js';
import type { MonitorSpec } from '../spec/index.js';
import type { MonitoringView } from './schemas.js';

export const monitoringWindowDays = 7;
const dayMs = 86_400_000;

export async function monitoringView(db: Queryable, version: VersionRow, stage: Stage, now: Date): Promise<MonitoringView> {
  const workflowId = version.workflow_id;
  const from = new Date(now.getTime() - monitoringWindowDays * dayMs);
  // Hour buckets keep the window at seven days (day buckets would stretch it to the day's start).
  const m = await readMetrics(db, { workflowId, from, to: now, bucket: 'hour', stage, now });
  const reviews = await reviewMetrics(db, { workflowId, since: from, until: now, now });
  const t = m.totals;
  const fileMonitors = (version.definition.runbook?.monitors ?? []).map((rule) => ({ name: rule.name, source: 'file' as const, stage: rule.stage, rule: monitorWords(rule), stop: rule.stop }));
  const apiMonitors = (await listMonitorRules(db, [workflowId])).filter((r) => r.source === 'api')
    .map((r) => ({ name: r.rule.name, source: 'api' as const, stage: r.rule.stage, rule: monitorWords(r.rule), stop: r.rule.stop }));
  const incidents = await listIncidents(db, { workflowId, status: 'open', limit: 20 });
  const bm = m.business_metric;
  return {
    from: from.toISOString(), to: now.toISOString(),
    queue: { open: m.queue.open, oldest_age_seconds: m.queue.oldest_age_seconds === null ? null : Math.round(m.queue.oldest_age_seconds) },
    runs: { ended: t.runs, succeeded: t.succeeded, failed: t.failed, rejected: t.rejected, canceled: t.canceled, outcome_unknown: t.outcome_unknown },
    reviews: {
      approved: reviews.total.approved, edited: reviews.total.edited, rejected: reviews.total.rejected, expired: reviews.total.expired,
      escalated: t.escalated, override_pct: reviews.total.override_pct,
    },
    latency: { p50_ms: m.latency.p50_ms, p95_ms: m.latency.p95_ms },
    cost: { total_usd: t.cost_usd, per_run_usd: t.cost_per_run_usd, tokens_in: t.tokens_in, tokens_out: t.tokens_out },
    error_classes: m.failures_by_class,
    business_metric: bm
      ? { name: bm.name, unit: bm.unit, value: bm.value, baseline: bm.baseline, target: bm.target, beats_baseline: bm.beats_baseline, meets_target: bm.meets_target }
      : null,
    monitors: [...fileMonitors, ...apiMonitors],
    open_incidents: incidents.map((i) => ({
      id: i.id, name: i.monitor_name, stage: i.stage, summary: i.summary, opened_at: new Date(i.opened_at).toISOString(), paused_stage: i.paused_stage,
    })),
  };
}

/** A monitor rule in one line, as its file means it. */
export function monitorWords(rule: MonitorSpec): string {
  const judged = `over ${rule.window}, at least ${rule.min_runs} runs`;
  if (rule.metric !== undefined) return `${rule.metric} ${rule.above !== undefined ? `above ${rule.above}` : `below ${rule.below}`} ${judged}`;
  if (rule.drift) {
    const acceptance = rule.drift.acceptance_change_pct !== undefined ? ` or acceptance moves more than ${rule.drift.acceptance_change_pct} %` : '';
    return `drift of ${rule.drift.feature}: PSI above ${rule.drift.psi}${acceptance}, ${rule.window} against the ${rule.baseline} before (at least ${rule.min_runs} runs)`;
  }
  if (rule.no_runs_for !== undefined) return `no run ended for ${rule.no_runs_for}`;
  return `model cost above ${rule.cost_per_day_above} USD in 24 hours`;
}
