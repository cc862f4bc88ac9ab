// `keel whoami`: who the CLI acts as (the token's holder, or the local operating-system user) and
// what it may do.
import type { Me } from '../api-types.js';
import { exitCodes, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';

export const whoamiCommand: CommandSpec = {
  path: ['whoami'],
  usage: 'keel whoami',
  summary: 'Show who the CLI acts as, how (token, session or local), and their roles and permissions',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const me = await (await ctx.api()).get<Me>('/api/auth/me');
    if (ctx.json) return jsonAnswer(ctx.io, me);
    ctx.io.out(`${me.email} (${me.display_name})`);
    ctx.io.out(`  via          ${me.via}${me.token_id ? ` ${me.token_id}` : ''}`);
    ctx.io.out(`  roles        ${me.roles.length > 0 ? me.roles.join(', ') : 'none'}`);
    ctx.io.out(`  permissions  ${me.permissions.join(', ')}`);
    ctx.io.out(`  workflows    ${me.visible_workflows === 'all' ? 'all' : me.visible_workflows.join(', ') || 'none'}`);
    return exitCodes.ok;
  },
};
