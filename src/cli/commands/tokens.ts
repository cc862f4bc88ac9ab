// `keel tokens ...`: API tokens for scripts and CI. The secret is printed once, by `create`; the
// server keeps only its hash, so no later command can show it again.
import { seg } from '../api-client.js';
import { permissionNames, type ApiToken, type Permission, type TokenCreated } from '../api-types.js';
import { exitCodes, parseInteger, parseList, requireOption, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

function tokenState(t: ApiToken): string {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && Date.parse(t.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

const createUsage = 'keel tokens create NAME --scopes S,S [--expires-days N] [--user EMAIL]';

export const tokensCreateCommand: CommandSpec = {
  path: ['tokens', 'create'],
  usage: createUsage,
  summary: 'Make an API token with some of your permissions as scopes; prints its secret once',
  options: {
    scopes: { type: 'string', value: 'S,S', description: `permissions the token carries, among those you hold (${permissionNames.join(', ')}), or all` },
    'expires-days': { type: 'string', value: 'N', description: 'the token stops working after N days (1-3650; default never)' },
    user: { type: 'string', value: 'EMAIL', description: 'make it for another user (needs users:write; required with --local)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const text = requireOption(ctx, 'scopes', createUsage);
    const scopes: Array<Permission | 'all'> = text.trim() === 'all' ? ['all'] : parseList(text, permissionNames, '--scopes', createUsage);
    const days = ctx.string('expires-days');
    const expiresInDays = days === undefined ? undefined : parseInteger(days, '--expires-days', 1, 3650, createUsage);
    const user = ctx.string('user');
    const made = await (await ctx.api()).post<TokenCreated>('/api/tokens', {
      name: ctx.args[0] ?? '', scopes, ...(expiresInDays === undefined ? {} : { expires_in_days: expiresInDays }), ...(user === undefined ? {} : { user }),
    });
    if (ctx.json) return jsonAnswer(ctx.io, made);
    const t = made.token;
    ctx.io.out(`made token ${t.id} "${t.name}" for ${t.user_email}`);
    ctx.io.out(`  scopes   ${t.scopes.join(', ')}`);
    ctx.io.out(`  expires  ${t.expires_at ? time(t.expires_at) : 'never'}`);
    ctx.io.out('secret (use it as KEEL_TOKEN or --token):');
    ctx.io.out(`  ${made.secret}`);
    ctx.io.out('this secret will not be shown again: Keel keeps only its hash. Store it now; if it is lost, revoke the token and make a new one.');
    return exitCodes.ok;
  },
};

export const tokensListCommand: CommandSpec = {
  path: ['tokens', 'list'],
  usage: 'keel tokens list [--all]',
  summary: 'List your API tokens (never their secrets); --all lists everyone\'s, for user admins',
  options: { all: { type: 'boolean', description: 'every user\'s tokens (needs users:read)' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const all = ctx.bool('all');
    const body = await (await ctx.api()).get<{ tokens: ApiToken[] }>('/api/tokens', all ? { all: 'true' } : {});
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.tokens.length === 0) {
      ctx.io.out(all ? 'no tokens' : 'you have no tokens (keel tokens list --all shows everyone\'s, for user admins)');
      return exitCodes.ok;
    }
    const rows = body.tokens.map((t) => [
      t.id, t.name, t.user_email, tokenState(t), time(t.created_at), t.expires_at ? time(t.expires_at) : 'never', time(t.last_used_at) || '-', t.scopes.join(','),
    ]);
    for (const line of table(['ID', 'NAME', 'USER', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED', 'SCOPES'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const tokensRevokeCommand: CommandSpec = {
  path: ['tokens', 'revoke'],
  usage: 'keel tokens revoke ID',
  summary: 'Revoke an API token at once (yours, or anyone\'s for user admins)',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const t = await (await ctx.api()).delete<ApiToken>(`/api/tokens/${seg(ctx.args[0] ?? '')}`);
    if (ctx.json) return jsonAnswer(ctx.io, t);
    ctx.io.out(`revoked token ${t.id} "${t.name}" of ${t.user_email}; it no longer works`);
    return exitCodes.ok;
  },
};
