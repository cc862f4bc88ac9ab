// `keel point`, `keel rollback`, `keel pause`, `keel resume`: moving and holding a stage's deployment.
import { seg } from '../api-client.js';
import { stageNames, type Deployment } from '../api-types.js';
import { exitCodes, oneOf, requireOption, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';

const stageOption = { type: 'string', value: 'S', description: `the stage (${stageNames.join('|')})` } as const;

const pointUsage = 'keel point WORKFLOW --stage S --version V';

export const pointCommand: CommandSpec = {
  path: ['point'],
  usage: pointUsage,
  summary: 'Point a stage at an existing version (promote or roll back)',
  options: { stage: stageOption, version: { type: 'string', value: 'V', description: 'version number (3, v3) or id' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const stage = oneOf(requireOption(ctx, 'stage', pointUsage), stageNames, '--stage', pointUsage);
    const version = requireOption(ctx, 'version', pointUsage);
    const d = await (await ctx.api()).put<Deployment>(`/api/workflows/${seg(id)}/deployments/${seg(stage)}`, { version });
    if (ctx.json) return jsonAnswer(ctx.io, d);
    ctx.io.out(`${d.workflow_id} ${d.stage} now points at v${d.version_number} (${d.version_id})${d.paused ? '; the stage is paused' : ''}`);
    return exitCodes.ok;
  },
};

const rollbackUsage = 'keel rollback WORKFLOW --stage S';

export const rollbackCommand: CommandSpec = {
  path: ['rollback'],
  usage: rollbackUsage,
  summary: 'Roll a stage back to the version it ran before the current one (runs in flight finish on their own version)',
  options: { stage: stageOption },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const stage = oneOf(requireOption(ctx, 'stage', rollbackUsage), stageNames, '--stage', rollbackUsage);
    const r = await (await ctx.api()).post<{ deployment: Deployment; from: { id: string; number: number } }>(`/api/workflows/${seg(id)}/deployments/${seg(stage)}/rollback`, {});
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`${r.deployment.workflow_id} ${r.deployment.stage} rolled back from v${r.from.number} to v${r.deployment.version_number} (${r.deployment.version_id})`);
    return exitCodes.ok;
  },
};

function pauseCommand(action: 'pause' | 'resume'): CommandSpec {
  const usage = `keel ${action} WORKFLOW --stage S [--reason TEXT]`;
  return {
    path: [action],
    usage,
    summary: action === 'pause'
      ? 'Pause a stage: new runs are refused or queued, runs in flight finish or wait (the workflow\'s on_pause)'
      : 'Resume a stage: new runs are accepted again and the runs its pause held go on',
    options: { stage: stageOption, reason: { type: 'string', value: 'TEXT', description: 'why (recorded in the audit log; shown to refused senders)' } },
    args: { min: 1, max: 1 },
    async run(ctx: CommandContext) {
      const id = ctx.args[0] ?? '';
      const stage = oneOf(requireOption(ctx, 'stage', usage), stageNames, '--stage', usage);
      const reason = ctx.string('reason');
      const d = await (await ctx.api()).post<Deployment>(`/api/workflows/${seg(id)}/deployments/${seg(stage)}/${action}`, reason ? { reason } : {});
      if (ctx.json) return jsonAnswer(ctx.io, d);
      const why = d.pause_reason ? ` (${d.pause_reason})` : '';
      ctx.io.out(`${d.workflow_id} ${d.stage} (v${d.version_number}) is ${d.paused ? `paused by ${d.paused_by ?? 'unknown'}${why}` : 'accepting runs'}`);
      return exitCodes.ok;
    },
  };
}

export const pauseStageCommand = pauseCommand('pause');
export const resumeStageCommand = pauseCommand('resume');
