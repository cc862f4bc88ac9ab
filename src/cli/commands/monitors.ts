// `keel monitors`, `keel drift`, `keel incidents`, `keel incidents ack`: what watches a workflow,
// how far it has drifted, and the incidents monitors opened.
import { seg } from '../api-client.js';
import type { Drift, Incident, IncidentList, MonitorList } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

const num = (v: number | null) => (v === null ? '-' : String(Number(v.toFixed(3))));

function ruleText(rule: MonitorList['monitors'][number]['rule']): string {
  if (rule.metric) return `${rule.metric} ${rule.above !== undefined ? `> ${rule.above}` : `< ${rule.below}`} over ${rule.window ?? '1h'}`;
  if (rule.drift) return `drift (${rule.drift.feature ?? 'any'}) PSI > ${rule.drift.psi ?? 0.25} over ${rule.window ?? '1h'} vs ${rule.baseline ?? '7d'}`;
  if (rule.no_runs_for) return `no runs for ${rule.no_runs_for}`;
  return `cost per day > $${rule.cost_per_day_above}`;
}

export const monitorsCommand: CommandSpec = {
  path: ['monitors'],
  usage: 'keel monitors WORKFLOW',
  summary: 'A workflow\'s monitors (from its file and the API), their rules and current state',
  options: {},
  args: { min: 1, max: 1 },
  async run(ctx) {
    const list = await (await ctx.api()).get<MonitorList>(`/api/workflows/${seg(ctx.args[0] ?? '')}/monitors`);
    if (ctx.json) return jsonAnswer(ctx.io, list);
    if (list.monitors.length === 0) ctx.io.out(`${list.workflow_id} has no monitors (add them under runbook.monitors in its file)`);
    for (const line of table(['NAME', 'SOURCE', 'STAGE', 'RULE', 'STOP', 'STATE', 'SUMMARY'], list.monitors.map((m) => [
      m.rule.name, m.source, m.rule.stage ?? 'production', ruleText(m.rule), m.rule.stop ? 'yes' : 'no', m.state?.state ?? 'not yet', m.state?.summary ?? '',
    ]))) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const driftCommand: CommandSpec = {
  path: ['drift'],
  usage: 'keel drift WORKFLOW [--window 1h] [--baseline 7d] [--stage S]',
  summary: 'How far the recent window moved from the baseline (PSI per feature: < 0.1 none, 0.1-0.25 moderate, > 0.25 significant)',
  options: {
    window: { type: 'string', value: 'D', description: 'the recent window in whole hours (default 1h)' },
    baseline: { type: 'string', value: 'D', description: 'the window before it compared with (default 7d)' },
    stage: { type: 'string', value: 'S', description: 'the stage (default production)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const d = await (await ctx.api()).get<Drift>(`/api/workflows/${seg(ctx.args[0] ?? '')}/drift`, {
      window: ctx.string('window'), baseline: ctx.string('baseline'), stage: ctx.string('stage'),
    });
    if (ctx.json) return jsonAnswer(ctx.io, d);
    ctx.io.out(`drift of ${d.workflow_id} (${d.stage}): ${time(d.windows.recent_from)} to ${time(d.windows.to)} against ${time(d.windows.baseline_from)} onwards`);
    ctx.io.out(`index: ${num(d.index)}${d.index === null ? ' (too few cases)' : ''}`);
    for (const line of table(['FEATURE', 'PSI', 'LEVEL', 'CASES (BASE/RECENT)', 'MOVED MOST'], d.features.map((f) => [
      f.dimension, num(f.psi), f.level, `${f.baseline_cases}/${f.recent_cases}`,
      f.movers.slice(0, 3).map((m) => `${m.value} ${m.baseline_pct.toFixed(1)}%->${m.recent_pct.toFixed(1)}%`).join(', '),
    ]))) ctx.io.out(line);
    const a = d.acceptance;
    ctx.io.out(`acceptance: ${num(a.baseline_pct)}% -> ${num(a.recent_pct)}%${a.relative_change_pct === null ? '' : ` (${num(a.relative_change_pct)}% relative)`}`);
    return exitCodes.ok;
  },
};

function incidentRow(i: Incident): string[] {
  return [i.id, i.workflow_id, i.monitor_name, i.status, time(i.opened_at), i.cleared_at ? time(i.cleared_at) : '-', i.paused_stage ? `paused ${i.stage}` : '', i.summary];
}

export const incidentsCommand: CommandSpec = {
  path: ['incidents'],
  usage: 'keel incidents [--open] [--workflow W]',
  summary: 'Incidents monitors opened, newest first; open ones stay until acknowledged',
  options: {
    open: { type: 'boolean', description: 'only those not acknowledged yet' },
    workflow: { type: 'string', value: 'W', description: 'only this workflow\'s' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const list = await (await ctx.api()).get<IncidentList>('/api/incidents', { status: ctx.bool('open') ? 'open' : undefined, workflow: ctx.string('workflow') });
    if (ctx.json) return jsonAnswer(ctx.io, list);
    if (list.incidents.length === 0) {
      ctx.io.out('no incidents');
      return exitCodes.ok;
    }
    for (const line of table(['ID', 'WORKFLOW', 'MONITOR', 'STATUS', 'OPENED', 'CLEARED', 'PAUSED', 'SUMMARY'], list.incidents.map(incidentRow))) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const incidentAckCommand: CommandSpec = {
  path: ['incidents', 'ack'],
  usage: 'keel incidents ack ID [--note TEXT]',
  summary: 'Acknowledge an incident (a paused stage stays paused until `keel resume`)',
  options: { note: { type: 'string', value: 'TEXT', description: 'what was found or done' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const note = ctx.string('note');
    const i = await (await ctx.api()).post<Incident>(`/api/incidents/${seg(ctx.args[0] ?? '')}/acknowledge`, note ? { note } : {});
    if (ctx.json) return jsonAnswer(ctx.io, i);
    ctx.io.out(`${i.id} acknowledged by ${i.acknowledged_by}${i.paused_stage ? `; ${i.workflow_id} ${i.stage} stays paused until: keel resume ${i.workflow_id} --stage ${i.stage}` : ''}`);
    return exitCodes.ok;
  },
};
