// `keel shadow start|list|show|stop`: a candidate version run in sandbox on copies of a stage's
// live runs (the parallel run against the live process), with its agreement with the live version
// and with people, the cases it disagreed on, and cost and latency side by side.
import { seg } from '../api-client.js';
import type { ShadowReport, ShadowRun } from '../api-types.js';
import { exitCodes, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';

const startUsage = 'keel shadow start WORKFLOW --version V [--stage S] [--replay N | --max-runs N] [--compare PATH] [--concurrency N]';

function whole(ctx: CommandContext, name: string, usage: string): number | undefined {
  const text = ctx.string(name);
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new UsageError(`--${name} must be a whole number of at least 1 (got ${text})`, usage);
  return Number(text);
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x)} ms`);
const usd = (x: number | null) => (x === null ? '-' : `$${x.toFixed(4)}`);
const shown = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

export const shadowStartCommand: CommandSpec = {
  path: ['shadow', 'start'],
  usage: startUsage,
  summary: "Run a candidate version in sandbox on copies of a stage's live runs and compare it with the live version and with people",
  options: {
    version: { type: 'string', value: 'V', description: 'the candidate version number (3, v3) or id; not the live one' },
    stage: { type: 'string', value: 'S', description: 'the stage whose live runs are copied (default production)' },
    replay: { type: 'string', value: 'N', description: 'copy the last N live runs that ended, at once, instead of new ones as they come' },
    'max-runs': { type: 'string', value: 'N', description: 'stop copying new live runs after N (default 500)' },
    compare: { type: 'string', value: 'PATH', description: "JSONata over { input, steps } (default: the approval boundary's judged step, else the last step with an answer)" },
    concurrency: { type: 'string', value: 'N', description: 'shadow runs in flight at once (default 8)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0]!;
    const version = ctx.string('version');
    if (version === undefined) throw new UsageError('--version is required: the candidate to shadow', startUsage);
    const replay = whole(ctx, 'replay', startUsage);
    const maxRuns = whole(ctx, 'max-runs', startUsage);
    if (replay !== undefined && maxRuns !== undefined) throw new UsageError('--replay and --max-runs do not go together: replay copies exactly N runs', startUsage);
    const stage = ctx.string('stage');
    const shadow = await (await ctx.api()).post<ShadowRun>(`/api/workflows/${seg(workflow)}/shadows`, {
      version, stage, mode: replay === undefined ? 'mirror' : 'replay', max_runs: replay ?? maxRuns,
      compare: ctx.string('compare'), concurrency: whole(ctx, 'concurrency', startUsage),
    });
    if (ctx.json) return jsonAnswer(ctx.io, shadow);
    const what = shadow.mode === 'replay' ? `the last ${shadow.max_runs} ended live runs` : `new live runs (up to ${shadow.max_runs})`;
    ctx.io.out(`${shadow.id}: v${shadow.candidate_version_number} shadows ${shadow.live_stage} on ${what}, comparing ${shadow.compare.path}`);
    ctx.io.out(`  follow it with: keel shadow show ${workflow} ${shadow.id}`);
    return exitCodes.ok;
  },
};

export const shadowListCommand: CommandSpec = {
  path: ['shadow', 'list'],
  usage: 'keel shadow list WORKFLOW',
  summary: "A workflow's shadow runs, newest first",
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<{ shadows: ShadowRun[] }>(`/api/workflows/${seg(ctx.args[0]!)}/shadows`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    if (r.shadows.length === 0) ctx.io.out(`no shadow runs yet: keel shadow start ${ctx.args[0]!} --version V`);
    for (const s of r.shadows) {
      const figure = s.summary ? `live ${pct(s.summary.agreementLive)}, people ${pct(s.summary.people.agreement)} over ${s.summary.compared}` : '';
      ctx.io.out(`${s.id}  v${s.candidate_version_number} vs ${s.live_stage}  ${s.mode.padEnd(6)}  ${s.status.padEnd(8)}  ${figure}  ${s.created_at}`);
    }
    return exitCodes.ok;
  },
};

const showUsage = 'keel shadow show WORKFLOW SHADOW_ID [--only live|people] [--limit N]';

export const shadowShowCommand: CommandSpec = {
  path: ['shadow', 'show'],
  usage: showUsage,
  summary: 'One shadow: agreement with the live version and with people, the disagreements, cost and latency side by side',
  options: {
    only: { type: 'string', value: 'live|people', description: 'list only disagreements with the live version, or only with people' },
    limit: { type: 'string', value: 'N', description: 'disagreements to list (default 50)' },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [workflow, id] = [ctx.args[0]!, ctx.args[1]!];
    const only = ctx.string('only');
    if (only !== undefined && only !== 'live' && only !== 'people') throw new UsageError(`--only is live or people (got ${only})`, showUsage);
    const query = new URLSearchParams({ limit: String(whole(ctx, 'limit', showUsage) ?? 50), ...(only ? { only } : {}) });
    const r = await (await ctx.api()).get<ShadowReport>(`/api/workflows/${seg(workflow)}/shadows/${seg(id)}?${query.toString()}`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    printReport(ctx, r);
    return exitCodes.ok;
  },
};

export const shadowStopCommand: CommandSpec = {
  path: ['shadow', 'stop'],
  usage: 'keel shadow stop WORKFLOW SHADOW_ID',
  summary: 'Stop a shadow: no further live run is copied; runs already copied are still compared',
  args: { min: 2, max: 2 },
  async run(ctx) {
    const shadow = await (await ctx.api()).post<ShadowRun>(`/api/workflows/${seg(ctx.args[0]!)}/shadows/${seg(ctx.args[1]!)}/stop`, {});
    if (ctx.json) return jsonAnswer(ctx.io, shadow);
    ctx.io.out(`${shadow.id} stopped: no further live run is copied; the runs in flight are still compared`);
    return exitCodes.ok;
  },
};

function printReport(ctx: CommandContext, r: ShadowReport): void {
  const s = r.shadow;
  const f = r.figures;
  ctx.io.out(`${s.id}  ${s.workflow_id} v${s.candidate_version_number} shadowing ${s.live_stage} (${s.mode}): ${s.status}; ` +
    `${r.pairs.compared} of ${r.pairs.total} pairs compared${r.pairs.pending > 0 ? `, ${r.pairs.pending} not started` : ''}`);
  ctx.io.out(`  compared: ${s.compare.path}`);
  ctx.io.out(`  agreement with the live version ${pct(f.agreementLive)} (${f.agreedLive} of ${f.compared})`);
  ctx.io.out(`  agreement with people ${pct(f.people.agreement)} (${f.people.agreed} of ${f.people.decided} decided)` +
    (f.people.rejected > 0 ? `; ${f.people.rejected} rejected by people (counted apart)` : ''));
  ctx.io.out(`  failed runs: live ${f.liveFailed}, shadow ${f.shadowFailed}`);
  const row = (name: string, a: string, b: string, note = '') => ctx.io.out(`  ${name.padEnd(14)}${a.padStart(18)}${b.padStart(18)}${note}`);
  row('', 'live', 'shadow');
  row('cost total', usd(f.costUsd.live.total), usd(f.costUsd.shadow.total));
  row('cost p50/p95', `${usd(f.costUsd.live.p50)}/${usd(f.costUsd.live.p95)}`, `${usd(f.costUsd.shadow.p50)}/${usd(f.costUsd.shadow.p95)}`);
  row('latency p50', ms(f.latencyMs.live.p50), ms(f.latencyMs.shadow.p50));
  row('latency p95', ms(f.latencyMs.live.p95), ms(f.latencyMs.shadow.p95), '   (live includes waiting for review)');
  if (r.disagreements.length === 0) return;
  ctx.io.out(`disagreements (${r.disagreements.length} of ${r.disagreementCount}):`);
  for (const d of r.disagreements) {
    const people = d.people_decision === null ? '' : `  people (${d.people_decision}) ${d.people_decision === 'rejected' ? '-' : shown(d.people_output)}`;
    ctx.io.out(`  live ${d.live_run_id} ${shown(d.live_output)}  shadow ${d.trial_run_id ?? d.shadow_status ?? '-'} ${shown(d.shadow_output)}${people}`);
  }
}
