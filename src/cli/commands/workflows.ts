// `keel workflows`, `keel versions`, `keel diff`: reading the registry.
import { seg } from '../api-client.js';
import type { DiffResult, VersionSummary, Workflow } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { diffLines, jsonAnswer, table, time } from '../output.js';

/** `production@v3`, marked when paused. */
function deploymentLabel(d: Workflow['deployments'][number]): string {
  return `${d.stage}@v${d.version_number}${d.paused ? ' (paused)' : ''}`;
}

export const workflowsCommand: CommandSpec = {
  path: ['workflows'],
  usage: 'keel workflows',
  summary: 'List every workflow with its owner, risk and what each stage runs',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const body = await (await ctx.api()).get<{ workflows: Workflow[] }>('/api/workflows');
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.workflows.length === 0) {
      ctx.io.out('no workflows yet (keel deploy FILE stores one)');
      return exitCodes.ok;
    }
    const rows = body.workflows.map((w) => [w.id, w.title, w.owner, w.risk, w.deployments.map(deploymentLabel).join(', ') || '-']);
    for (const line of table(['ID', 'TITLE', 'OWNER', 'RISK', 'DEPLOYMENTS'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const versionsCommand: CommandSpec = {
  path: ['versions'],
  usage: 'keel versions WORKFLOW',
  summary: 'List the versions of a workflow, newest first, with the stages pointing at each',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const api = (await ctx.api());
    const body = await api.get<{ versions: VersionSummary[] }>(`/api/workflows/${seg(id)}/versions`);
    if (ctx.json) return jsonAnswer(ctx.io, body);
    const workflow = await api.get<Workflow>(`/api/workflows/${seg(id)}`);
    const rows = body.versions.map((v) => [
      `v${v.number}`, v.id, v.content_hash.slice(0, 12), v.created_by, time(v.created_at), v.source_name ?? '',
      workflow.deployments.filter((d) => d.version_id === v.id).map((d) => d.stage + (d.paused ? ' (paused)' : '')).join(', '),
    ]);
    for (const line of table(['VERSION', 'ID', 'HASH', 'BY', 'CREATED', 'SOURCE', 'STAGES'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const diffCommand: CommandSpec = {
  path: ['diff'],
  usage: 'keel diff WORKFLOW FROM TO',
  summary: 'Show what changed between two versions (by number, v3, or id)',
  args: { min: 3, max: 3 },
  async run(ctx) {
    const [id = '', from = '', to = ''] = ctx.args;
    const body = await (await ctx.api()).get<DiffResult>(`/api/workflows/${seg(id)}/diff`, { from, to });
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.changes.length === 0) ctx.io.out(`no changes between ${from} and ${to}`);
    for (const line of diffLines(body.changes)) ctx.io.out(line);
    return exitCodes.ok;
  },
};
