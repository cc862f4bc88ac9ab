// `keel review ...`: the review queue from the terminal: list, show, and decide.
import { seg } from '../api-client.js';
import { reviewStatusNames, type Review } from '../api-types.js';
import { exitCodes, oneOf, parseInteger, parseJsonOption, requireOption, type CommandContext, type CommandSpec } from '../command.js';
import { fold, jsonAnswer, table, time } from '../output.js';

const listUsage = 'keel review list [--status S] [--workflow W]';

export const reviewListCommand: CommandSpec = {
  path: ['review', 'list'],
  usage: listUsage,
  summary: 'List review tasks, oldest first (pending ones by default)',
  options: {
    status: { type: 'string', value: 'S', description: `${reviewStatusNames.join('|')}, or all (default pending)` },
    workflow: { type: 'string', value: 'W', description: 'only reviews of this workflow' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const wanted = ctx.string('status') ?? 'pending';
    const status = wanted === 'all' ? undefined : oneOf(wanted, reviewStatusNames, '--status', listUsage);
    const body = await (await ctx.api()).get<{ reviews: Review[] }>('/api/reviews', { status, workflow: ctx.string('workflow') });
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.reviews.length === 0) {
      ctx.io.out(status ? `no ${status} reviews` : 'no reviews');
      return exitCodes.ok;
    }
    const rows = body.reviews.map((r) => [
      r.id, r.status, r.workflow_id, r.run_id, r.step_id, r.assigned_to ?? r.assigned_role ?? '', time(r.due_at), r.title ?? r.reason,
    ]);
    for (const line of table(['REVIEW', 'STATUS', 'WORKFLOW', 'RUN', 'STEP', 'ASSIGNED', 'DUE', 'TITLE'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const reviewShowCommand: CommandSpec = {
  path: ['review', 'show'],
  usage: 'keel review show ID',
  summary: 'Show a review task: what is proposed, why, and how to decide it',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<Review>(`/api/reviews/${seg(ctx.args[0] ?? '')}`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`review ${r.id}  ${r.status}${r.title ? `  ${r.title}` : ''}`);
    ctx.io.out(`  workflow  ${r.workflow_id}  run ${r.run_id}  step ${r.step_id}`);
    ctx.io.out(`  reason    ${r.reason}`);
    if (r.assigned_role || r.assigned_to) ctx.io.out(`  assigned  ${[r.assigned_to, r.assigned_role && `role ${r.assigned_role}`].filter(Boolean).join(', ')}`);
    ctx.io.out(`  created   ${time(r.created_at)}${r.due_at ? `  due ${time(r.due_at)}` : ''}`);
    if (r.claimed_by && r.claimed_until && Date.parse(r.claimed_until) > Date.now()) ctx.io.out(`  claimed   by ${r.claimed_by} until ${time(r.claimed_until)}`);
    if (r.context) {
      // Why the step stopped and what it saw (model, prompt version, confidence, alternatives): each on its own line.
      ctx.io.out('context:');
      for (const [key, value] of Object.entries(r.context)) ctx.io.out(`  ${key.padEnd(13)} ${fold(value)}`);
    }
    // The proposal is what a person decides on, so it is shown whole, not folded.
    ctx.io.out('proposed:');
    for (const line of JSON.stringify(r.proposed ?? null, null, 2).split('\n')) ctx.io.out(`  ${line}`);
    if (r.status === 'edited') {
      ctx.io.out('decided output:');
      for (const line of JSON.stringify(r.decided_output ?? null, null, 2).split('\n')) ctx.io.out(`  ${line}`);
    }
    if (r.decided_by) ctx.io.out(`decided by ${r.decided_by} at ${time(r.decided_at)}${r.comment ? `: ${r.comment}` : ''}`);
    if (r.status === 'pending') {
      ctx.io.out('');
      ctx.io.out(`decide: keel review approve ${r.id} | keel review reject ${r.id} | keel review edit ${r.id} --output JSON`);
    }
    return exitCodes.ok;
  },
};

const decided: Record<'approve' | 'reject' | 'edit', string> = { approve: 'approved', reject: 'rejected', edit: 'edited' };

function decisionCommand(decision: 'approve' | 'reject' | 'edit'): CommandSpec {
  const usage = `keel review ${decision} ID${decision === 'edit' ? ' --output JSON' : ''} [--comment C]`;
  return {
    path: ['review', decision],
    usage,
    summary: decision === 'approve' ? 'Approve the proposed output; the run goes on'
      : decision === 'reject' ? 'Reject the proposed output (counts as an override)'
        : 'Replace the proposed output with a corrected one (counts as an override)',
    options: {
      comment: { type: 'string', value: 'C', description: 'why, kept with the decision' },
      ...(decision === 'edit' ? { output: { type: 'string', value: 'JSON', description: 'the corrected output as JSON' } } : {}),
    },
    args: { min: 1, max: 1 },
    async run(ctx: CommandContext) {
      const output = decision === 'edit' ? parseJsonOption(requireOption(ctx, 'output', usage), '--output', usage) : undefined;
      const comment = ctx.string('comment');
      const r = await (await ctx.api()).post<Review>(`/api/reviews/${seg(ctx.args[0] ?? '')}/decision`, {
        decision, ...(output === undefined ? {} : { output }), ...(comment === undefined ? {} : { comment }),
      });
      if (ctx.json) return jsonAnswer(ctx.io, r);
      ctx.io.out(`review ${r.id} ${decided[decision]}; run ${r.run_id} goes on  (keel runs show ${r.run_id} --follow)`);
      return exitCodes.ok;
    },
  };
}

export const reviewApproveCommand = decisionCommand('approve');
export const reviewRejectCommand = decisionCommand('reject');
export const reviewEditCommand = decisionCommand('edit');

const claimUsage = 'keel review claim ID [--minutes N]';

export const reviewClaimCommand: CommandSpec = {
  path: ['review', 'claim'],
  usage: claimUsage,
  summary: 'Claim a pending review so nobody else decides it while you look (15 minutes unless --minutes; again to renew)',
  options: { minutes: { type: 'string', value: 'N', description: 'how long the claim holds, 1 to 1440' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const minutesText = ctx.string('minutes');
    const minutes = minutesText === undefined ? undefined : parseInteger(minutesText, '--minutes', 1, 1440, claimUsage);
    const r = await (await ctx.api()).post<Review>(`/api/reviews/${seg(ctx.args[0] ?? '')}/claim`, minutes === undefined ? {} : { minutes });
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`review ${r.id} is yours until ${time(r.claimed_until)}  (keel review show ${r.id})`);
    return exitCodes.ok;
  },
};

export const reviewReleaseCommand: CommandSpec = {
  path: ['review', 'release'],
  usage: 'keel review release ID',
  summary: 'Give back your claim on a review before it expires',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).delete<Review>(`/api/reviews/${seg(ctx.args[0] ?? '')}/claim`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`review ${r.id} released; anyone with the role may claim or decide it`);
    return exitCodes.ok;
  },
};
