// `keel access inventory|request|approve|reject|revoke|grants`: who may use which connector, asking
// for a grant, and deciding it (the connector's owner or an admin; never the one who asked).
import { seg } from '../api-client.js';
import type { AccessInventory, Grant, GrantRequested } from '../api-types.js';
import { exitCodes, oneOf, parseInteger, requireOption, UsageError, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

const inventoryUsage = 'keel access inventory [--json|--markdown]';

export const accessInventoryCommand: CommandSpec = {
  path: ['access', 'inventory'],
  usage: inventoryUsage,
  summary: 'Per connector: owner, credential owner, rotation due, which workflow holds which scope, last use, grants unused 30 days, open requests',
  options: { markdown: { type: 'boolean', description: 'print the inventory as Markdown (a table per connector), to paste into a handoff document' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    if (ctx.json && ctx.bool('markdown')) throw new UsageError('--json and --markdown exclude each other', inventoryUsage);
    const api = await ctx.api();
    if (ctx.bool('markdown')) {
      // The server renders it, so the CLI and the API answer the same document.
      for (const line of (await api.getText('/api/access/inventory', { format: 'markdown' })).replace(/\n$/, '').split('\n')) ctx.io.out(line);
      return exitCodes.ok;
    }
    const inv = await api.get<AccessInventory>('/api/access/inventory');
    if (ctx.json) return jsonAnswer(ctx.io, inv);
    for (const line of inventoryLines(inv)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

/** The inventory as a person reads it in a terminal: a block per connector, then the open requests. */
export function inventoryLines(inv: AccessInventory): string[] {
  const lines: string[] = [];
  for (const c of inv.connectors) {
    const rotation = c.rotation_due ? `ROTATION DUE (${c.secrets_due.join(', ')})` : c.next_rotate_by ? `rotate by ${time(c.next_rotate_by)}` : 'no rotation date';
    lines.push(`${c.id} (${c.kind}) ${c.title}`, `  owner ${c.owner}; credential owner ${c.credential_owner ?? '-'}; ${rotation}`);
    if (c.grants.length === 0) lines.push('  no grants');
    else {
      const rows = c.grants.map((g) => [
        g.workflow_id, g.scope, g.expired ? `expired ${time(g.expires_at)}` : time(g.expires_at) || '-', time(g.last_used_at) || 'never', String(g.use_count),
        g.unused_30d ? `UNUSED ${inv.unused_after_days}d` : '', g.id,
      ]);
      lines.push(...table(['WORKFLOW', 'SCOPE', 'EXPIRES', 'LAST USED', 'USES', 'FLAG', 'GRANT'], rows).map((l) => `  ${l}`));
    }
    lines.push('');
  }
  if (inv.connectors.length === 0) lines.push('no connectors', '');
  if (inv.open_requests.length === 0) lines.push('no open grant requests');
  else {
    lines.push('open grant requests (keel access approve GRANT | reject GRANT --note N):');
    lines.push(...table(['GRANT', 'WORKFLOW', 'CONNECTOR', 'SCOPE', 'ASKED BY', 'ASKED AT', 'REASON'],
      inv.open_requests.map((r) => [r.id, r.workflow_id, r.connector_id, r.scope, r.requested_by, time(r.requested_at), r.reason ?? ''])).map((l) => `  ${l}`));
  }
  return lines;
}

const requestUsage = 'keel access request WORKFLOW CONNECTOR SCOPE [--reason R]';

export const accessRequestCommand: CommandSpec = {
  path: ['access', 'request'],
  usage: requestUsage,
  summary: 'Ask for a grant: WORKFLOW may use SCOPE (e.g. email:send) of CONNECTOR; its owner decides',
  options: { reason: { type: 'string', value: 'R', description: 'why the workflow needs it, shown to the owner' } },
  args: { min: 3, max: 3 },
  async run(ctx) {
    const [workflow = '', connector = '', scope = ''] = ctx.args;
    const r = await (await ctx.api()).post<GrantRequested>(`/api/workflows/${seg(workflow)}/grants`, { connector, scope, reason: ctx.string('reason') });
    if (ctx.json) return jsonAnswer(ctx.io, r);
    const g = r.grant;
    ctx.io.out(r.created
      ? `grant ${g.id} requested: ${g.workflow_id} may use ${g.scope} of ${g.connector_id} once its owner approves (keel access approve ${g.id})`
      : `grant ${g.id} for ${g.workflow_id} / ${g.connector_id} / ${g.scope} already exists: ${g.status}`);
    return exitCodes.ok;
  },
};

const usages = {
  approve: 'keel access approve GRANT [--expires-days N] [--note N]',
  reject: 'keel access reject GRANT --note N',
} as const;

function decisionCommand(decision: 'approve' | 'reject'): CommandSpec {
  const usage = usages[decision];
  return {
    path: ['access', decision],
    usage,
    summary: decision === 'approve'
      ? 'Approve a grant request (the connector\'s owner or an admin, never the one who asked), optionally for N days'
      : 'Reject a grant request, saying why',
    options: {
      note: { type: 'string', value: 'N', description: decision === 'reject' ? 'why it is rejected (required)' : 'a note kept with the decision' },
      ...(decision === 'approve' ? { 'expires-days': { type: 'string', value: 'N', description: 'the grant stops working after N days (1 to 3650)' } } : {}),
    },
    args: { min: 1, max: 1 },
    async run(ctx) {
      const note = decision === 'reject' ? requireOption(ctx, 'note', usage) : ctx.string('note');
      const daysText = ctx.string('expires-days');
      const days = daysText === undefined ? undefined : parseInteger(daysText, '--expires-days', 1, 3650, usage);
      const expires = days === undefined ? undefined : new Date(Date.now() + days * 86_400_000).toISOString();
      const g = await (await ctx.api()).post<Grant>(`/api/grants/${seg(ctx.args[0] ?? '')}/decision`, { decision, note, expires_at: expires });
      if (ctx.json) return jsonAnswer(ctx.io, g);
      ctx.io.out(`grant ${g.id} ${g.status}: ${g.workflow_id} ${g.status === 'approved' ? 'may use' : 'may not use'} ${g.scope} of ${g.connector_id}${g.expires_at ? ` until ${time(g.expires_at)}` : ''}`);
      return exitCodes.ok;
    },
  };
}

export const accessApproveCommand = decisionCommand('approve');
export const accessRejectCommand = decisionCommand('reject');

const revokeUsage = 'keel access revoke GRANT --note N';

export const accessRevokeCommand: CommandSpec = {
  path: ['access', 'revoke'],
  usage: revokeUsage,
  summary: 'Revoke a grant (or withdraw a request) at once, saying why (the connector\'s owner or an admin)',
  options: { note: { type: 'string', value: 'N', description: 'why it is revoked (required)' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const note = requireOption(ctx, 'note', revokeUsage);
    const g = await (await ctx.api()).delete<Grant>(`/api/grants/${seg(ctx.args[0] ?? '')}`, { note });
    if (ctx.json) return jsonAnswer(ctx.io, g);
    ctx.io.out(`grant ${g.id} revoked: ${g.workflow_id} may no longer use ${g.scope} of ${g.connector_id}`);
    return exitCodes.ok;
  },
};

const grantsUsage = 'keel access grants [--workflow W] [--connector C] [--status S]';
const statuses = ['requested', 'approved', 'rejected', 'revoked'] as const;

export const accessGrantsCommand: CommandSpec = {
  path: ['access', 'grants'],
  usage: grantsUsage,
  summary: 'Grants and grant requests you may see, with their status, expiry and last use',
  options: {
    workflow: { type: 'string', value: 'W', description: 'only this workflow\'s' },
    connector: { type: 'string', value: 'C', description: 'only this connector\'s' },
    status: { type: 'string', value: 'S', description: `only this status: ${statuses.join(', ')}` },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const statusText = ctx.string('status');
    const status = statusText === undefined ? undefined : oneOf(statusText, statuses, '--status', grantsUsage);
    const { grants } = await (await ctx.api()).get<{ grants: Grant[] }>('/api/grants', { workflow: ctx.string('workflow'), connector: ctx.string('connector'), status });
    if (ctx.json) return jsonAnswer(ctx.io, { grants });
    if (grants.length === 0) {
      ctx.io.out('no grants');
      return exitCodes.ok;
    }
    for (const line of table(['GRANT', 'WORKFLOW', 'CONNECTOR', 'SCOPE', 'STATUS', 'BY', 'EXPIRES', 'LAST USED', 'USES'], grants.map((g) => [
      g.id, g.workflow_id, g.connector_id, g.scope, g.status, g.decided_by ?? g.requested_by, time(g.expires_at) || '-', time(g.last_used_at) || 'never', String(g.use_count),
    ]))) ctx.io.out(line);
    return exitCodes.ok;
  },
};
