// `keel members ...`: the owners and reviewers of one workflow, as users or whole teams.
import { seg } from '../api-client.js';
import { workflowRoleNames, type WorkflowMember } from '../api-types.js';
import { exitCodes, oneOf, requireOption, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer, table, time, type Io } from '../output.js';

const membersPath = (workflow: string) => `/api/workflows/${seg(workflow)}/members`;

function printMembers(io: Io, workflow: string, members: WorkflowMember[]): void {
  if (members.length === 0) {
    io.out(`${workflow} has no members besides the owner its file names`);
    return;
  }
  const rows = members.map((m) => [m.role, m.member_kind, m.member, m.added_by, time(m.added_at)]);
  for (const line of table(['ROLE', 'KIND', 'MEMBER', 'ADDED BY', 'ADDED'], rows)) io.out(line);
}

export const membersListCommand: CommandSpec = {
  path: ['members', 'list'],
  usage: 'keel members list WORKFLOW',
  summary: 'List the owners and reviewers of a workflow (users and teams)',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const body = await (await ctx.api()).get<{ members: WorkflowMember[] }>(membersPath(workflow));
    if (ctx.json) return jsonAnswer(ctx.io, body);
    printMembers(ctx.io, workflow, body.members);
    return exitCodes.ok;
  },
};

/** `--user EMAIL` or `--team NAME`, exactly one, and `--role`. */
function memberChange(ctx: CommandContext, usage: string): { kind: 'user' | 'team'; member: string; role: string } {
  const user = ctx.string('user');
  const team = ctx.string('team');
  if ((user === undefined) === (team === undefined)) throw new UsageError('give exactly one of --user EMAIL or --team NAME', usage);
  const role = oneOf(requireOption(ctx, 'role', usage), workflowRoleNames, '--role', usage);
  return user !== undefined ? { kind: 'user', member: user, role } : { kind: 'team', member: team ?? '', role };
}

function changeCommand(add: boolean): CommandSpec {
  const word = add ? 'add' : 'remove';
  const usage = `keel members ${word} WORKFLOW (--user EMAIL | --team NAME) --role ${workflowRoleNames.join('|')}`;
  return {
    path: ['members', word],
    usage,
    summary: add ? 'Make a user or team an owner or reviewer of a workflow' : 'Remove an owner or reviewer of a workflow',
    options: {
      user: { type: 'string', value: 'EMAIL', description: 'the user (email or id)' },
      team: { type: 'string', value: 'NAME', description: 'the team (name or id)' },
      role: { type: 'string', value: 'R', description: workflowRoleNames.join(' or ') },
    },
    args: { min: 1, max: 1 },
    async run(ctx) {
      const workflow = ctx.args[0] ?? '';
      const change = memberChange(ctx, usage);
      const api = await ctx.api();
      const body = add
        ? await api.put<{ members: WorkflowMember[] }>(membersPath(workflow), change)
        : await api.delete<{ members: WorkflowMember[] }>(membersPath(workflow), change);
      if (ctx.json) return jsonAnswer(ctx.io, body);
      ctx.io.out(`${change.kind} ${change.member} ${add ? 'is now' : 'is no longer'} ${change.role} of ${workflow}`);
      printMembers(ctx.io, workflow, body.members);
      return exitCodes.ok;
    },
  };
}

export const membersAddCommand = changeCommand(true);
export const membersRemoveCommand = changeCommand(false);
