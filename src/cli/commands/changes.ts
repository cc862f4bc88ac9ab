// `keel changes`: change requests for production workflows (list, request, show, approve, reject,
// withdraw). Deciding is the production version's owner's or a named approver's; the server checks it.
import type { changeRequestSchema } from '../../changes/index.js';
import type { z } from '../../contract/index.js';
import { seg } from '../api-client.js';
import { exitCodes, oneOf, requireOption, type CommandContext, type CommandSpec } from '../command.js';
import { diffLines, jsonAnswer, table, time } from '../output.js';

type ChangeRequest = z.infer<typeof changeRequestSchema>;

const statuses: readonly ChangeRequest['status'][] = ['open', 'approved', 'rejected', 'withdrawn'];

const listUsage = 'keel changes WORKFLOW [--status open|approved|rejected|withdrawn]';

export const changesListCommand: CommandSpec = {
  path: ['changes'],
  usage: listUsage,
  summary: 'List a workflow\'s change requests, newest first',
  options: { status: { type: 'string', value: 'S', description: `only requests in this status (${statuses.join('|')})` } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const status = ctx.string('status');
    const query = status === undefined ? undefined : { status: oneOf(status, statuses, '--status', listUsage) };
    const body = await (await ctx.api()).get<{ change_requests: ChangeRequest[] }>(`/api/workflows/${seg(id)}/change-requests`, query);
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.change_requests.length === 0) {
      ctx.io.out(`no change requests for ${id}${status ? ` in status ${status}` : ''}`);
      return exitCodes.ok;
    }
    const rows = body.change_requests.map((r) => [
      r.id, `v${r.from_version_number} -> v${r.to_version_number}`, r.areas.join(','), r.status, r.requested_by, time(r.created_at), r.decided_by ?? '',
    ]);
    for (const line of table(['ID', 'CHANGE', 'AREAS', 'STATUS', 'BY', 'CREATED', 'DECIDED BY'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

const requestUsage = 'keel changes request WORKFLOW --version V --reason TEXT';

export const changesRequestCommand: CommandSpec = {
  path: ['changes', 'request'],
  usage: requestUsage,
  summary: 'Ask for a change to production: the version\'s governed diff against what production runs, for the owner to decide',
  options: {
    version: { type: 'string', value: 'V', description: 'the version to promote: number (3, v3) or id' },
    reason: { type: 'string', value: 'TEXT', description: 'what changes and why' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const version = requireOption(ctx, 'version', requestUsage);
    const reason = requireOption(ctx, 'reason', requestUsage);
    const r = await (await ctx.api()).post<ChangeRequest>(`/api/workflows/${seg(id)}/change-requests`, { version, reason });
    return printRequest(ctx, r);
  },
};

export const changesShowCommand: CommandSpec = {
  path: ['changes', 'show'],
  usage: 'keel changes show ID',
  summary: 'Show a change request with its diff, area by area',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<ChangeRequest>(`/api/change-requests/${seg(ctx.args[0] ?? '')}`);
    return printRequest(ctx, r);
  },
};

function decisionCommand(action: 'approve' | 'reject' | 'withdraw'): CommandSpec {
  const usage = `keel changes ${action} ID ${action === 'reject' ? '--note TEXT' : '[--note TEXT]'}`;
  return {
    path: ['changes', action],
    usage,
    summary: {
      approve: 'Approve a change request (the production version\'s owner, a named change approver or an admin; never its requester or author)',
      reject: 'Reject a change request, saying why',
      withdraw: 'Withdraw a change request you asked for',
    }[action],
    options: { note: { type: 'string', value: 'TEXT', description: action === 'reject' ? 'why (required)' : 'why (recorded with the decision)' } },
    args: { min: 1, max: 1 },
    async run(ctx) {
      const note = action === 'reject' ? requireOption(ctx, 'note', usage) : ctx.string('note');
      const r = await (await ctx.api()).post<ChangeRequest>(`/api/change-requests/${seg(ctx.args[0] ?? '')}/${action}`, note === undefined ? {} : { note });
      return printRequest(ctx, r);
    },
  };
}

export const changesApproveCommand = decisionCommand('approve');
export const changesRejectCommand = decisionCommand('reject');
export const changesWithdrawCommand = decisionCommand('withdraw');

/** The request's facts, then its diff grouped by area, each change on its own line(s). */
function printRequest(ctx: CommandContext, r: ChangeRequest): number {
  if (ctx.json) return jsonAnswer(ctx.io, r);
  ctx.io.out(`${r.id}  ${r.workflow_id} v${r.from_version_number} -> v${r.to_version_number}  ${r.status}`);
  ctx.io.out(`requested by ${r.requested_by} at ${time(r.created_at)}: ${r.reason}`);
  if (r.decided_by) ctx.io.out(`${r.status} by ${r.decided_by} at ${time(r.decided_at)}${r.decision_note ? `: ${r.decision_note}` : ''}`);
  for (const area of r.areas) {
    ctx.io.out('');
    ctx.io.out(`${area.replace('_', ' ')}:`);
    for (const line of diffLines(r.diff.filter((c) => c.area === area))) ctx.io.out(`  ${line}`);
  }
  return exitCodes.ok;
}
