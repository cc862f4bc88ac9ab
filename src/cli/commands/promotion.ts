// `keel promote`, `keel gates`, `keel gates sign|withdraw`, `keel drill`, `keel drills`: moving a
// version through its gates. A refused promotion exits non-zero with every unmet item printed
// (the problem's list), so a script and a person read the same answer.
import { seg } from '../api-client.js';
import type { Deployment, GateReport, GateSignoff, RollbackDrill } from '../api-types.js';
import { exitCodes, oneOf, requireOption, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';

const gatedStages = ['testing', 'sandbox', 'production'] as const;
const toOption = { type: 'string', value: 'S', description: `the stage to enter (${gatedStages.join('|')})` } as const;
const versionOption = { type: 'string', value: 'V', description: 'version number (3, v3) or id (default: the one at the stage before)' } as const;

function stageTo(ctx: CommandContext, usage: string): (typeof gatedStages)[number] {
  return oneOf(requireOption(ctx, 'to', usage), gatedStages, '--to', usage);
}

function printGate(ctx: CommandContext, g: GateReport): void {
  ctx.io.out(`${g.workflowId} v${g.version.number} into ${g.stage} (from ${g.from}; author ${g.version.createdBy}): ${g.met ? 'every item met' : `${g.items.filter((i) => !i.met).length} of ${g.items.length} items missing`}`);
  for (const item of g.items) ctx.io.out(`  [${item.met ? 'x' : ' '}] ${item.label}: ${item.detail}`);
}

const gatesUsage = 'keel gates WORKFLOW --to S [--version V]';

export const gatesCommand: CommandSpec = {
  path: ['gates'],
  usage: gatesUsage,
  summary: 'The gate into a stage: every check and sign-off, met or missing, with what to do',
  options: { to: toOption, version: versionOption },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const stage = stageTo(ctx, gatesUsage);
    const version = ctx.string('version');
    const g = await (await ctx.api()).get<GateReport>(`/api/workflows/${seg(ctx.args[0]!)}/gates/${stage}${version ? `?version=${encodeURIComponent(version)}` : ''}`);
    if (ctx.json) return jsonAnswer(ctx.io, g);
    printGate(ctx, g);
    return exitCodes.ok;
  },
};

const signUsage = 'keel gates sign WORKFLOW --to S --role R --statement TEXT [--version V]';

export const gatesSignCommand: CommandSpec = {
  path: ['gates', 'sign'],
  usage: signUsage,
  summary: "Sign a version's gate in a role you hold, in writing (never a version you wrote)",
  options: {
    to: toOption, version: versionOption,
    role: { type: 'string', value: 'R', description: 'the role you sign in (approver, owner, builder, reviewer, admin: as the gate asks)' },
    statement: { type: 'string', value: 'TEXT', description: 'what you checked and accept; into production it accepts the sandbox error rate as it stands' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const stage = stageTo(ctx, signUsage);
    const body = { role: requireOption(ctx, 'role', signUsage), statement: requireOption(ctx, 'statement', signUsage), version: ctx.string('version') };
    const s = await (await ctx.api()).post<GateSignoff>(`/api/workflows/${seg(ctx.args[0]!)}/gates/${stage}/signoffs`, body);
    if (ctx.json) return jsonAnswer(ctx.io, s);
    const rate = s.observed ? ` (accepting an error rate of ${(s.observed.errorRate * 100).toFixed(1)} % over ${s.observed.decided} decided outputs)` : '';
    ctx.io.out(`signed ${s.id}: ${s.signed_by} as ${s.role} into ${s.stage}${rate}`);
    return exitCodes.ok;
  },
};

const withdrawUsage = 'keel gates withdraw WORKFLOW --to S SIGNOFF_ID';

export const gatesWithdrawCommand: CommandSpec = {
  path: ['gates', 'withdraw'],
  usage: withdrawUsage,
  summary: 'Withdraw a sign-off you gave (an admin may withdraw any)',
  options: { to: toOption },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const stage = stageTo(ctx, withdrawUsage);
    if (!/^\d+$/.test(ctx.args[1]!)) throw new UsageError(`SIGNOFF_ID must be the number keel gates shows (got ${ctx.args[1]})`, withdrawUsage);
    const s = await (await ctx.api()).delete<GateSignoff>(`/api/workflows/${seg(ctx.args[0]!)}/gates/${stage}/signoffs/${ctx.args[1]}`);
    if (ctx.json) return jsonAnswer(ctx.io, s);
    ctx.io.out(`withdrew sign-off ${s.id} (${s.signed_by} as ${s.role} into ${s.stage})`);
    return exitCodes.ok;
  },
};

const promoteUsage = 'keel promote WORKFLOW --to S [--version V]';

export const promoteCommand: CommandSpec = {
  path: ['promote'],
  usage: promoteUsage,
  summary: 'Move a version into the next stage through its gate, or list exactly what is missing',
  options: { to: toOption, version: versionOption },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const to = stageTo(ctx, promoteUsage);
    const r = await (await ctx.api()).post<{ deployment: Deployment; gate: GateReport; moved: boolean }>(
      `/api/workflows/${seg(ctx.args[0]!)}/promote`, { to, version: ctx.string('version') },
    );
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(r.moved
      ? `${r.deployment.workflow_id} ${to} now runs v${r.deployment.version_number}: every gate item met`
      : `${r.deployment.workflow_id} ${to} already runs v${r.deployment.version_number}`);
    return exitCodes.ok;
  },
};

const drillUsage = 'keel drill WORKFLOW [--input JSON]';

export const drillCommand: CommandSpec = {
  path: ['drill'],
  usage: drillUsage,
  summary: 'Rollback drill on sandbox: roll back, a run must flow on the older version, roll forward, a run must flow again',
  options: { input: { type: 'string', value: 'JSON', description: "the drill runs' input (default: the first case of the eval dataset)" } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const text = ctx.string('input');
    let input: unknown;
    if (text !== undefined) {
      try {
        input = JSON.parse(text);
      } catch {
        throw new UsageError('--input must be JSON, e.g. \'{"text": "hello"}\'', drillUsage);
      }
    }
    const d = await (await ctx.api()).post<RollbackDrill>(`/api/workflows/${seg(ctx.args[0]!)}/drills`, input === undefined ? {} : { input });
    if (ctx.json) return jsonAnswer(ctx.io, d);
    printDrill(ctx, d);
    return d.status === 'passed' ? exitCodes.ok : exitCodes.runFailed;
  },
};

export const drillsCommand: CommandSpec = {
  path: ['drills'],
  usage: 'keel drills WORKFLOW',
  summary: "A workflow's rollback drills, newest first, with their steps",
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<{ drills: RollbackDrill[] }>(`/api/workflows/${seg(ctx.args[0]!)}/drills`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    if (r.drills.length === 0) ctx.io.out(`no drills yet: keel drill ${ctx.args[0]}`);
    for (const d of r.drills) printDrill(ctx, d);
    return exitCodes.ok;
  },
};

function printDrill(ctx: CommandContext, d: RollbackDrill): void {
  ctx.io.out(`${d.id} ${d.status} (version ${d.version_id}, started by ${d.started_by} at ${d.started_at})${d.error ? `: ${d.error}` : ''}`);
  for (const s of d.steps) ctx.io.out(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step}: ${s.detail}`);
}
