// `keel connectors apply FILE` and `keel connectors secret ID NAME`: configure a connector through
// the API (the file has the shape of connectors/*.yaml, without secret references or grants, which
// only a file loaded at start may hold), and store a secret's value read from standard input, never
// from the command line, where other users of the machine could read it in the process list.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { seg } from '../api-client.js';
import type { Connector } from '../api-types.js';
import { exitCodes, UsageError, type CommandSpec } from '../command.js';
import { jsonAnswer, time } from '../output.js';

const applyUsage = 'keel connectors apply FILE';
const secretUsage = 'keel connectors secret ID NAME  (the value on standard input)';

export const connectorsApplyCommand: CommandSpec = {
  path: ['connectors', 'apply'],
  usage: applyUsage,
  summary: 'Create or change a connector from a YAML file (id, kind, title, owner, config, ...); secrets are set with keel connectors secret',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.args[0] ?? '';
    let raw: unknown;
    try {
      raw = parse(await readFile(file, 'utf8'));
    } catch (error) {
      ctx.io.err(`error: cannot read ${file} as YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
      return exitCodes.error;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${file} must hold a mapping (id, kind, title, owner, config, ...)`, applyUsage);
    const { id, secrets, grants, ...body } = raw as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw new UsageError(`${file} has no id`, applyUsage);
    if (secrets !== undefined || grants !== undefined) {
      throw new UsageError(`${file} holds ${secrets !== undefined ? 'secrets' : 'grants'}: only files in connectors/ loaded at start may; store a value with \`keel connectors secret ${id} NAME\` and ask for grants with \`keel access request\``, applyUsage);
    }
    const connector = await (await ctx.api()).put<Connector>(`/api/connectors/${seg(id)}`, body);
    if (ctx.json) return jsonAnswer(ctx.io, connector);
    const needed = connector.actions.length > 0 ? [...new Set(connector.actions.map((a) => a.scope))].join(', ') : 'none';
    ctx.io.out(`connector ${connector.id} (${connector.kind}) saved; scopes: ${needed}`);
    return exitCodes.ok;
  },
};

export const connectorsSecretCommand: CommandSpec = {
  path: ['connectors', 'secret'],
  usage: secretUsage,
  summary: 'Store a new value of a connector\'s secret, read from standard input (a new version; the old one is retired)',
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [id = '', name = ''] = ctx.args;
    const value = (await ctx.io.readStdin()).replace(/[\r\n]+$/, '');
    if (value === '') throw new UsageError('no value on standard input (e.g. `printf %s "$TOKEN" | keel connectors secret ID NAME`)', secretUsage);
    const meta = await (await ctx.api()).put<Connector['secrets'][number]>(`/api/connectors/${seg(id)}/secrets/${seg(name)}`, { value });
    if (ctx.json) return jsonAnswer(ctx.io, meta);
    ctx.io.out(`stored ${meta.name} of ${id}: version ${meta.version}${meta.rotate_by ? `, rotate by ${time(meta.rotate_by)}` : ''}`);
    return exitCodes.ok;
  },
};
