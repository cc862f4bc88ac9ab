// `keel users ...`: people and their global roles. `create`, `unlock` and `password-link` work on the
// database directly unless a token is given: the first admin is made that way, and an admin locked
// out by failed sign-ins can always let themselves back in from the server's own machine.
import { seg } from '../api-client.js';
import { globalRoleNames, type GlobalRole, type PasswordLink, type User, type UserCreated } from '../api-types.js';
import { exitCodes, parseList, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time, type Io } from '../output.js';

const userPath = (email: string) => `/api/users/${seg(email)}`;

function isLocked(u: User): boolean {
  return u.locked_until !== null && Date.parse(u.locked_until) > Date.now();
}

function rolesText(roles: readonly string[]): string {
  return roles.length > 0 ? roles.join(', ') : 'none';
}

function printLink(io: Io, link: PasswordLink): void {
  io.out(`one-time link to set the password (works once, valid until ${time(link.expires_at)}):`);
  io.out(`  ${link.url}`);
}

export const usersListCommand: CommandSpec = {
  path: ['users', 'list'],
  usage: 'keel users list',
  summary: 'List every user with status, global roles, and whether a password is set or the account is locked',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const body = await (await ctx.api()).get<{ users: User[] }>('/api/users');
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.users.length === 0) {
      ctx.io.out('no users yet (keel users create EMAIL --admin makes the first admin)');
      return exitCodes.ok;
    }
    const rows = body.users.map((u) => [
      u.email, u.display_name, u.status, rolesText(u.roles), u.has_password ? 'set' : 'not set', isLocked(u) ? time(u.locked_until) : '', u.id,
    ]);
    for (const line of table(['EMAIL', 'NAME', 'STATUS', 'ROLES', 'PASSWORD', 'LOCKED UNTIL', 'ID'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const usersShowCommand: CommandSpec = {
  path: ['users', 'show'],
  usage: 'keel users show EMAIL',
  summary: 'Show one user (by email or id)',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const u = await (await ctx.api()).get<User>(userPath(ctx.args[0] ?? ''));
    if (ctx.json) return jsonAnswer(ctx.io, u);
    ctx.io.out(`user ${u.email}  ${u.status}  (${u.id})`);
    ctx.io.out(`  name      ${u.display_name}`);
    ctx.io.out(`  roles     ${rolesText(u.roles)}`);
    ctx.io.out(`  password  ${u.has_password ? 'set' : `not set (keel users password-link ${u.email})`}`);
    if (isLocked(u)) ctx.io.out(`  locked    until ${time(u.locked_until)} (keel users unlock ${u.email})`);
    ctx.io.out(`  created   ${time(u.created_at)}  updated ${time(u.updated_at)}`);
    return exitCodes.ok;
  },
};

const createUsage = 'keel users create EMAIL [--name N] [--role R,R] [--admin] [--password-stdin]';

/** The password piped in, without the newline `echo` adds. */
async function readPassword(ctx: CommandContext, usage: string): Promise<string> {
  const password = (await ctx.io.readStdin()).replace(/[\r\n]+$/, '');
  if (password === '') throw new UsageError('--password-stdin found no password on standard input', usage);
  return password;
}

export const usersCreateCommand: CommandSpec = {
  path: ['users', 'create'],
  usage: createUsage,
  summary: 'Create a user and print a one-time link (30 minutes) to set their password; works locally unless a token is given',
  options: {
    name: { type: 'string', value: 'N', description: 'display name (default: the part of the email before @)' },
    role: { type: 'string', value: 'R,R', description: `global roles among ${globalRoleNames.join(', ')}` },
    admin: { type: 'boolean', description: 'give the admin role (how the first admin is made)' },
    'password-stdin': { type: 'boolean', description: 'read the password from standard input and set it, instead of printing a link' },
  },
  args: { min: 1, max: 1 },
  localByDefault: true,
  async run(ctx) {
    const email = ctx.args[0] ?? '';
    const given = ctx.string('role');
    const roles: GlobalRole[] = given === undefined ? [] : parseList(given, globalRoleNames, '--role', createUsage);
    if (ctx.bool('admin') && !roles.includes('admin')) roles.push('admin');
    // Read the password before anything is created, so an empty pipe changes nothing.
    const password = ctx.bool('password-stdin') ? await readPassword(ctx, createUsage) : undefined;
    const name = ctx.string('name');
    const api = await ctx.api();
    // One call: a refused password creates nothing, so the command can simply be run again.
    const made = await api.post<UserCreated>('/api/users', { email, roles, ...(name === undefined ? {} : { display_name: name }), ...(password === undefined ? {} : { password }) });
    if (ctx.json) return jsonAnswer(ctx.io, made);
    ctx.io.out(`created user ${made.user.email} (${made.user.id}), roles ${rolesText(made.user.roles)}${password === undefined ? '' : '; password set'}`);
    if (made.password_link) printLink(ctx.io, made.password_link);
    return exitCodes.ok;
  },
};

function statusCommand(status: 'active' | 'disabled'): CommandSpec {
  const word = status === 'active' ? 'enable' : 'disable';
  return {
    path: ['users', word],
    usage: `keel users ${word} EMAIL`,
    summary: status === 'active' ? 'Let a disabled user sign in again' : 'Stop a user from signing in; ends their sessions (their tokens stop working too)',
    args: { min: 1, max: 1 },
    async run(ctx) {
      const u = await (await ctx.api()).patch<User>(userPath(ctx.args[0] ?? ''), { status });
      if (ctx.json) return jsonAnswer(ctx.io, u);
      ctx.io.out(status === 'active' ? `user ${u.email} is active again` : `user ${u.email} is disabled; their sessions ended`);
      return exitCodes.ok;
    },
  };
}

export const usersDisableCommand = statusCommand('disabled');
export const usersEnableCommand = statusCommand('active');

const rolesUsage = 'keel users roles EMAIL R,R';

export const usersRolesCommand: CommandSpec = {
  path: ['users', 'roles'],
  usage: rolesUsage,
  summary: `Set a user's global roles, replacing theirs (among ${globalRoleNames.join(', ')}; none for no role)`,
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [email = '', list = ''] = ctx.args;
    const roles = list.trim() === 'none' ? [] : parseList(list, globalRoleNames, 'roles', rolesUsage);
    const u = await (await ctx.api()).patch<User>(userPath(email), { roles });
    if (ctx.json) return jsonAnswer(ctx.io, u);
    ctx.io.out(`user ${u.email} now has roles ${rolesText(u.roles)}`);
    return exitCodes.ok;
  },
};

export const usersUnlockCommand: CommandSpec = {
  path: ['users', 'unlock'],
  usage: 'keel users unlock EMAIL',
  summary: 'Lift a sign-in lockout; works locally unless a token is given, so a locked-out admin can always get back in',
  args: { min: 1, max: 1 },
  localByDefault: true,
  async run(ctx) {
    const u = await (await ctx.api()).post<User>(`${userPath(ctx.args[0] ?? '')}/unlock`, undefined);
    if (ctx.json) return jsonAnswer(ctx.io, u);
    ctx.io.out(`user ${u.email} is unlocked and may sign in again`);
    return exitCodes.ok;
  },
};

export const usersPasswordLinkCommand: CommandSpec = {
  path: ['users', 'password-link'],
  usage: 'keel users password-link EMAIL',
  summary: 'Print a one-time link (30 minutes) for the user to set a new password; works locally unless a token is given',
  args: { min: 1, max: 1 },
  localByDefault: true,
  async run(ctx) {
    const link = await (await ctx.api()).post<PasswordLink>(`${userPath(ctx.args[0] ?? '')}/password-link`, undefined);
    if (ctx.json) return jsonAnswer(ctx.io, link);
    printLink(ctx.io, link);
    return exitCodes.ok;
  },
};
