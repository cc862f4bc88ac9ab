// `keel teams ...`: named groups of users, so a workflow role can be given to a team at once.
import { seg } from '../api-client.js';
import type { Team } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

export const teamsListCommand: CommandSpec = {
  path: ['teams', 'list'],
  usage: 'keel teams list',
  summary: 'List teams and their members',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const body = await (await ctx.api()).get<{ teams: Team[] }>('/api/teams');
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.teams.length === 0) {
      ctx.io.out('no teams yet (keel teams create NAME)');
      return exitCodes.ok;
    }
    const rows = body.teams.map((t) => [t.name, t.id, t.members.join(', ') || '-', time(t.created_at)]);
    for (const line of table(['TEAM', 'ID', 'MEMBERS', 'CREATED'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const teamsCreateCommand: CommandSpec = {
  path: ['teams', 'create'],
  usage: 'keel teams create NAME',
  summary: 'Create a team (letters, digits, spaces, dots, dashes, underscores)',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const t = await (await ctx.api()).post<Team>('/api/teams', { name: ctx.args[0] ?? '' });
    if (ctx.json) return jsonAnswer(ctx.io, t);
    ctx.io.out(`created team ${t.name} (${t.id}); add people with keel teams add "${t.name}" EMAIL`);
    return exitCodes.ok;
  },
};

function membershipCommand(add: boolean): CommandSpec {
  const word = add ? 'add' : 'remove';
  return {
    path: ['teams', word],
    usage: `keel teams ${word} TEAM EMAIL`,
    summary: add ? 'Add a user to a team (by team name or id, user email or id)' : 'Remove a user from a team',
    args: { min: 2, max: 2 },
    async run(ctx) {
      const [team = '', user = ''] = ctx.args;
      const api = await ctx.api();
      const path = `/api/teams/${seg(team)}/members/${seg(user)}`;
      const t = add ? await api.put<Team>(path, undefined) : await api.delete<Team>(path);
      if (ctx.json) return jsonAnswer(ctx.io, t);
      ctx.io.out(`${add ? `${user} is in` : `${user} is no longer in`} team ${t.name}; members: ${t.members.join(', ') || 'none'}`);
      return exitCodes.ok;
    },
  };
}

export const teamsAddCommand = membershipCommand(true);
export const teamsRemoveCommand = membershipCommand(false);
