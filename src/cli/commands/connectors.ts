// `keel connectors` and `keel connectors show ID`: the configured source systems, their actions with
// the scope each needs and its delivery class, and their secrets' names and rotation dates (the API
// never answers a secret's value, so neither can this).
import { seg } from '../api-client.js';
import type { Connector, ConnectorDetail } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { fold, jsonAnswer, table, time } from '../output.js';

export const connectorsCommand: CommandSpec = {
  path: ['connectors'],
  usage: 'keel connectors',
  summary: 'List the connectors: kind, owner, credential owner, rotation due, scopes of their actions',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const { connectors } = await (await ctx.api()).get<{ connectors: Connector[] }>('/api/connectors');
    if (ctx.json) return jsonAnswer(ctx.io, { connectors });
    if (connectors.length === 0) {
      ctx.io.out('no connectors (define them in connectors/*.yaml)');
      return exitCodes.ok;
    }
    const rows = connectors.map((c) => [
      c.id, c.kind, c.owner, c.credential_owner ?? '-', c.secrets.some((s) => s.rotation_due) ? 'DUE' : '-',
      [...new Set(c.actions.map((a) => a.scope))].join(','), c.title,
    ]);
    for (const line of table(['ID', 'KIND', 'OWNER', 'CREDENTIAL OWNER', 'ROTATION', 'SCOPES', 'TITLE'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const connectorsShowCommand: CommandSpec = {
  path: ['connectors', 'show'],
  usage: 'keel connectors show ID',
  summary: 'One connector: settings (secret names only), actions with scope and delivery class, secrets, grants',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const c = await (await ctx.api()).get<ConnectorDetail>(`/api/connectors/${seg(ctx.args[0] ?? '')}`);
    if (ctx.json) return jsonAnswer(ctx.io, c);
    for (const line of connectorLines(c)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

function connectorPauseCommand(action: 'pause' | 'resume'): CommandSpec {
  return {
    path: ['connectors', action],
    usage: `keel connectors ${action} ID [--reason TEXT]`,
    summary: action === 'pause'
      ? 'The kill switch: refuse every action call through a connector at once; runs wait at its actions (its owner or an admin)'
      : 'Resume a paused connector: calls go through again and the runs held at its actions go on',
    options: { reason: { type: 'string', value: 'TEXT', description: 'why (recorded in the audit log; told to refused callers)' } },
    args: { min: 1, max: 1 },
    async run(ctx) {
      const reason = ctx.string('reason');
      const c = await (await ctx.api()).post<Connector>(`/api/connectors/${seg(ctx.args[0] ?? '')}/${action}`, reason ? { reason } : {});
      if (ctx.json) return jsonAnswer(ctx.io, c);
      ctx.io.out(c.paused
        ? `connector ${c.id} is paused by ${c.paused_by ?? 'unknown'}${c.pause_reason ? ` (${c.pause_reason})` : ''}: every call through it is refused`
        : `connector ${c.id} is running: calls go through it`);
      return exitCodes.ok;
    },
  };
}

export const connectorsPauseCommand = connectorPauseCommand('pause');
export const connectorsResumeCommand = connectorPauseCommand('resume');

export function connectorLines(c: ConnectorDetail): string[] {
  const lines = [
    `${c.id}  ${c.title}`,
    `kind:             ${c.kind}${c.kind_description ? ` (${c.kind_description})` : ''}`,
    `owner:            ${c.owner} (decides grants)`,
    `credential owner: ${c.credential_owner ?? '-'}`,
    `source:           ${c.source}`,
    ...(c.paused ? [`PAUSED:           by ${c.paused_by ?? 'unknown'} at ${time(c.paused_at)}${c.pause_reason ? ` (${c.pause_reason})` : ''}; every call is refused`] : []),
    `rotation:         ${c.rotation_days === null ? 'no policy' : `every ${c.rotation_days} days`}`,
    `allow hosts:      ${c.allow_hosts.length > 0 ? c.allow_hosts.join(', ') : '-'}`,
    `config:           ${fold(c.config)}${c.config_valid ? '' : '  (INVALID: its actions fail until it is fixed)'}`,
    '',
    'actions:',
    ...table(['ACTION', 'SCOPE', 'DELIVERY', 'SIDE EFFECT'], c.actions.map((a) => [a.name, a.scope, a.delivery ?? 'unknown', a.side_effect ? 'yes' : 'no'])).map((l) => `  ${l}`),
    '',
  ];
  if (c.secrets.length === 0) lines.push('secrets: none stored');
  else {
    lines.push('secrets:', ...table(['NAME', 'VERSION', 'STORED', 'ROTATE BY', 'DUE'], c.secrets.map((s) => [
      s.name, String(s.version), time(s.created_at), time(s.rotate_by) || '-', s.rotation_due ? 'DUE' : '',
    ])).map((l) => `  ${l}`));
  }
  lines.push('');
  if (c.grants.length === 0) lines.push(`grants: none (ask with keel access request WORKFLOW ${c.id} SCOPE)`);
  else {
    lines.push('grants:', ...table(['GRANT', 'WORKFLOW', 'SCOPE', 'STATUS', 'EXPIRES', 'LAST USED', 'USES'], c.grants.map((g) => [
      g.id, g.workflow_id, g.scope, g.status, time(g.expires_at) || '-', time(g.last_used_at) || 'never', String(g.use_count),
    ])).map((l) => `  ${l}`));
  }
  return lines;
}
