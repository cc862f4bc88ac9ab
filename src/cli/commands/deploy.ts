// `keel deploy`: stores a workflow file as a version (once per content) and points a stage at it.
import { readFile } from 'node:fs/promises';
import { ApiProblem } from '../api-client.js';
import { stageNames, type DeployResult } from '../api-types.js';
import { exitCodes, oneOf, type CommandSpec } from '../command.js';
import { printJson, printProblem } from '../output.js';

const usage = 'keel deploy FILE [--stage S]';

export const deployCommand: CommandSpec = {
  path: ['deploy'],
  usage,
  summary: 'Store a workflow file as a version and point a stage at it',
  options: { stage: { type: 'string', value: 'S', description: `stage to point at the version (${stageNames.join('|')}; default testing)` } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.args[0] ?? '';
    const stage = oneOf(ctx.string('stage') ?? 'testing', stageNames, '--stage', usage);
    const api = (await ctx.api());
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
      ctx.io.err(`error: cannot read ${file} (${reason})`);
      return exitCodes.error;
    }
    let r: DeployResult;
    try {
      r = await api.post<DeployResult>('/api/workflows/deploy', { source, source_name: file, stage });
    } catch (error) {
      if (error instanceof ApiProblem && ['invalid_workflow', 'invalid_input'].includes(error.problem.code)) {
        printProblem(ctx.io, ctx.json, error.problem);
        return exitCodes.invalid;
      }
      throw error;
    }
    if (ctx.json) {
      printJson(ctx.io, r);
      return exitCodes.ok;
    }
    const v = `${r.workflow.id} v${r.version.number} (${r.version.id})`;
    ctx.io.out(r.version_created ? `stored new version ${v}` : `version unchanged: ${v} has the same content`);
    ctx.io.out(r.deployment_changed ? `${stage} now points at v${r.version.number}` : `${stage} unchanged: already points at v${r.version.number}`);
    return exitCodes.ok;
  },
};
