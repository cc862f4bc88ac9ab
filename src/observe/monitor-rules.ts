// Which monitors exist and what each one says now. Rules come from two places: the runbook of the
// version deployed at the rule's stage (its key `file:<workflow>:<stage>:<name>`) and the monitors
// table (rules created through the API, keyed by their id). A verdict is `firing`, `ok`, or
// `no_data` when the window holds too few cases to judge.
import type { Queryable } from '../db/index.js';
import { monitorSchema, parseDuration, type MonitorSpec } from '../spec/index.js';
import { readDrift, windowsAt } from './drift.js';
import { readMetrics } from './metrics.js';

export interface MonitorRule {
  key: string;
  workflowId: string;
  source: 'file' | 'api';
  /** The API monitor's id; null for a file rule. */
  id: string | null;
  rule: MonitorSpec;
}

export interface Verdict {
  state: 'ok' | 'firing' | 'no_data';
  value: number | null;
  threshold: number | null;
  summary: string;
  detail: Record<string, unknown>;
}

export function fileMonitorKey(workflowId: string, stage: string, name: string): string {
  return `file:${workflowId}:${stage}:${name}`;
}

/** Every live rule: file rules of deployed versions (at the stage each names) and API monitors. */
export async function listMonitorRules(db: Queryable, workflowIds?: readonly string[]): Promise<MonitorRule[]> {
  const ids = workflowIds ?? null;
  const files = await db.query<{ workflow_id: string; stage: string; monitors: unknown[] }>(
    `SELECT d.workflow_id, d.stage, v.definition->'runbook'->'monitors' AS monitors
       FROM deployments d JOIN workflow_versions v ON v.id = d.version_id
      WHERE jsonb_typeof(v.definition->'runbook'->'monitors') = 'array' AND ($1::text[] IS NULL OR d.workflow_id = ANY($1::text[]))
      ORDER BY d.workflow_id, d.stage`, [ids],
  );
  const rules: MonitorRule[] = [];
  for (const d of files.rows) {
    for (const raw of d.monitors) {
      // Stored definitions were validated at deploy; parsing fills defaults added since.
      const parsed = monitorSchema.safeParse(raw);
      if (!parsed.success || parsed.data.stage !== d.stage) continue;
      rules.push({ key: fileMonitorKey(d.workflow_id, d.stage, parsed.data.name), workflowId: d.workflow_id, source: 'file', id: null, rule: parsed.data });
    }
  }
  const api = await db.query<{ id: string; workflow_id: string; rule: unknown }>(
    `SELECT id, workflow_id, rule FROM monitors WHERE deleted_at IS NULL AND ($1::text[] IS NULL OR workflow_id = ANY($1::text[])) ORDER BY workflow_id, name`, [ids],
  );
  for (const m of api.rows) {
    const parsed = monitorSchema.safeParse(m.rule);
    if (parsed.success) rules.push({ key: m.id, workflowId: m.workflow_id, source: 'api', id: m.id, rule: parsed.data });
  }
  return rules;
}

const hourMs = 3_600_000;

/** What a share or a mean is taken over: fewer of these than min_runs and the rule gives no verdict. Volumes need none. */
const casesBehind: Partial<Record<NonNullable<MonitorSpec['metric']>, 'runs' | 'reviewed' | 'model_steps' | 'escalated'>> = {
  coverage_pct: 'runs', failure_pct: 'runs', latency_p95_ms: 'runs',
  override_pct: 'reviewed', acceptance_pct: 'reviewed', prompt_success_pct: 'model_steps', escalation_ms: 'escalated',
};
const fmt = (n: number, digits = 2) => Number(n.toFixed(digits)).toString();

/** What a rule says at `now`, from the rollups. */
export async function evaluateRule(db: Queryable, rule: MonitorRule, now: Date): Promise<Verdict> {
  const r = rule.rule;
  if (r.drift) return driftVerdict(db, rule, now);
  if (r.no_runs_for !== undefined) return silenceVerdict(db, rule, now);
  const windowMs = r.cost_per_day_above !== undefined ? 24 * hourMs : parseDuration(r.window);
  const w = windowsAt(now, windowMs, hourMs);
  const metrics = await readMetrics(db, { workflowId: rule.workflowId, from: w.recentFrom, to: w.to, bucket: 'hour', stage: r.stage, now });
  const t = metrics.totals;
  const window = { from: w.recentFrom.toISOString(), to: w.to.toISOString(), runs: t.runs };
  if (r.cost_per_day_above !== undefined) {
    const firing = t.cost_usd > r.cost_per_day_above;
    return { state: firing ? 'firing' : 'ok', value: t.cost_usd, threshold: r.cost_per_day_above, detail: { window }, summary: `Spend over the last 24 hours is ${fmt(t.cost_usd)} USD (limit ${fmt(r.cost_per_day_above)} USD).` };
  }
  const metric = r.metric!;
  const value = metric === 'tokens' ? t.tokens_in + t.tokens_out : metric === 'escalation_ms' ? t.escalation_mean_ms : t[metric];
  const cases = casesBehind[metric] ? t[casesBehind[metric]] : null;
  if (value === null || (cases !== null && cases < r.min_runs)) {
    return { state: 'no_data', value: value ?? null, threshold: r.above ?? r.below ?? null, detail: { window }, summary: `Too few cases in the last ${r.window} to judge ${metric} (${cases ?? 0}; needs ${r.min_runs}).` };
  }
  const threshold = r.above ?? r.below!;
  const firing = r.above !== undefined ? value > threshold : value < threshold;
  return {
    state: firing ? 'firing' : 'ok', value, threshold, detail: { window },
    summary: `${metric} over the last ${r.window} is ${fmt(value)}, ${r.above !== undefined ? 'above' : 'below'} limit ${fmt(threshold)}: ${firing ? 'breached' : 'within it'}.`,
  };
}

async function driftVerdict(db: Queryable, rule: MonitorRule, now: Date): Promise<Verdict> {
  const r = rule.rule;
  const drift = r.drift!;
  const report = await readDrift(db, {
    workflowId: rule.workflowId, stage: r.stage, now, windowMs: parseDuration(r.window), baselineMs: parseDuration(r.baseline), minCases: r.min_runs,
  });
  const judged = report.features.filter((f) => f.baselineCases >= r.min_runs && f.recentCases >= r.min_runs && (drift.feature === 'any' || f.dimension === drift.feature));
  const worst = judged.sort((a, b) => b.psi - a.psi)[0];
  const acceptance = report.acceptance.relativeChangePct;
  const acceptanceMoved = drift.acceptance_change_pct !== undefined && acceptance !== null && Math.abs(acceptance) > drift.acceptance_change_pct;
  const detail = { features: report.features, acceptance: report.acceptance, windows: report.windows };
  if (!worst && !acceptanceMoved) {
    return { state: 'no_data', value: null, threshold: drift.psi, detail, summary: `Too few cases to judge drift (needs ${r.min_runs} in the last ${r.window} and in the ${r.baseline} before).` };
  }
  const psiFiring = worst !== undefined && worst.psi > drift.psi;
  const parts: string[] = [];
  if (worst) {
    const movers = worst.movers.slice(0, 3).map((m) => `${m.value} ${fmt(m.baselinePct, 1)}% -> ${fmt(m.recentPct, 1)}%`).join(', ');
    parts.push(`${worst.dimension} PSI ${fmt(worst.psi)} (${worst.level}; limit ${fmt(drift.psi)}): ${movers}`);
  }
  if (acceptance !== null) parts.push(`acceptance rate moved ${fmt(acceptance, 1)}% relative`);
  return {
    state: psiFiring || acceptanceMoved ? 'firing' : 'ok', value: worst?.psi ?? null, threshold: drift.psi, detail,
    summary: `Drift over the last ${r.window} against the ${r.baseline} before: ${parts.join('; ')}.`,
  };
}

async function silenceVerdict(db: Queryable, rule: MonitorRule, now: Date): Promise<Verdict> {
  const r = rule.rule;
  const limitMs = parseDuration(r.no_runs_for!);
  // Rollups have hours only: the last run ended before the end of the last hour that counted one.
  const last = await db.query<{ last_hour: Date | null; deployed_at: Date | null }>(
    `SELECT (SELECT max(hour) FROM metric_hours WHERE workflow_id = $1 AND stage = $2 AND runs > 0) AS last_hour,
            (SELECT deployed_at FROM deployments WHERE workflow_id = $1 AND stage = $2) AS deployed_at`,
    [rule.workflowId, r.stage],
  );
  const row = last.rows[0]!;
  const since = row.last_hour ? new Date(row.last_hour.getTime() + hourMs) : row.deployed_at;
  if (!since) return { state: 'no_data', value: null, threshold: limitMs / hourMs, detail: {}, summary: `Nothing is deployed at ${r.stage}.` };
  const silentHours = Math.max(0, (now.getTime() - since.getTime()) / hourMs);
  const firing = now.getTime() - since.getTime() >= limitMs;
  return {
    state: firing ? 'firing' : 'ok', value: silentHours, threshold: limitMs / hourMs, detail: { since: since.toISOString() },
    summary: firing ? `No run has ended since ${since.toISOString()} (${fmt(silentHours, 1)} h; limit ${r.no_runs_for}).` : `Runs are ending (last within ${r.no_runs_for}).`,
  };
}
