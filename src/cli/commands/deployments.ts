// `keel point`, `keel pause`, `keel resume`: moving and holding a stage's deployment.
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

function pauseCommand(action: 'pause' | 'resume'): CommandSpec {
  const usage = `keel ${action} WORKFLOW --stage S`;
  return {
    path: [action],
    usage,
    summary: action === 'pause' ? 'Stop new runs at a stage (runs in flight go on)' : 'Accept new runs at a stage again',
    options: { stage: stageOption },
    args: { min: 1, max: 1 },
    async run(ctx: CommandContext) {
      const id = ctx.args[0] ?? '';
      const stage = oneOf(requireOption(ctx, 'stage', usage), stageNames, '--stage', usage);
      const d = await (await ctx.api()).post<Deployment>(`/api/workflows/${seg(id)}/deployments/${seg(stage)}/${action}`, {});
      if (ctx.json) return jsonAnswer(ctx.io, d);
      ctx.io.out(`${d.workflow_id} ${d.stage} (v${d.version_number}) is ${d.paused ? 'paused: new runs are refused' : 'accepting runs'}`);
      return exitCodes.ok;
    },
  };
}

export const pauseStageCommand = pauseCommand('pause');
export const resumeStageCommand = pauseCommand('resume');
