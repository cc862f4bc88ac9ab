// `keel runs` and `keel runs show`: what ran, and everything one run did.
import { runStatusNames, type Run } from '../api-types.js';
import { exitCodes, oneOf, parseInteger, type CommandSpec } from '../command.js';
import { jsonAnswer, printJson, table, time } from '../output.js';
import { followRun, getRunDetail, renderRun, runExitCode, runSummary } from '../run-view.js';

const listUsage = 'keel runs [--workflow W] [--status S] [--limit N]';

export const runsCommand: CommandSpec = {
  path: ['runs'],
  usage: listUsage,
  summary: 'List runs, newest first (keel runs show RUN for one)',
  options: {
    workflow: { type: 'string', value: 'W', description: 'only runs of this workflow' },
    status: { type: 'string', value: 'S', description: `only runs in this status (${runStatusNames.join('|')})` },
    limit: { type: 'string', value: 'N', description: 'at most N runs (1-500; default 50)' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const status = ctx.string('status');
    const limit = ctx.string('limit');
    const query = {
      workflow: ctx.string('workflow'),
      status: status === undefined ? undefined : oneOf(status, runStatusNames, '--status', listUsage),
      limit: limit === undefined ? undefined : parseInteger(limit, '--limit', 1, 500, listUsage),
    };
    const body = await (await ctx.api()).get<{ runs: Run[] }>('/api/runs', query);
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.runs.length === 0) {
      ctx.io.out('no runs');
      return exitCodes.ok;
    }
    const rows = body.runs.map((r) => [
      r.id, r.workflow_id, r.stage, r.wait_reason ? `${r.status} (${r.wait_reason})` : r.status, r.current_step ?? '', time(r.created_at),
    ]);
    for (const line of table(['RUN', 'WORKFLOW', 'STAGE', 'STATUS', 'STEP', 'CREATED'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const runsShowCommand: CommandSpec = {
  path: ['runs', 'show'],
  usage: 'keel runs show RUN [--follow]',
  summary: 'Show a run: header, every step attempt with its output or error, and its reviews',
  options: { follow: { type: 'boolean', description: 'print steps as they finish until the run ends or waits; exit 4 if it failed' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const api = (await ctx.api());
    if (!ctx.bool('follow')) {
      const detail = await getRunDetail(api, id);
      if (ctx.json) return jsonAnswer(ctx.io, detail);
      renderRun(detail, ctx.io);
      return exitCodes.ok;
    }
    if (!ctx.json) ctx.io.out(`following run ${id}`);
    const detail = await followRun(api, id, ctx.io, !ctx.json);
    if (ctx.json) printJson(ctx.io, detail);
    else for (const line of runSummary(detail)) ctx.io.out(line);
    return runExitCode(detail.run);
  },
};
