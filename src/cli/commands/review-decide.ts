// `keel review approve|edit|reject|escalate|claim|release|comment|bulk-approve`: working a task.
import { seg } from '../api-client.js';
import type { Review, ReviewDecided } from '../api-types.js';
import { exitCodes, parseInteger, parseJsonOption, requireOption, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { diffLines, jsonAnswer, time } from '../output.js';

type Decision = 'approve' | 'edit' | 'reject' | 'escalate';

const usages: Record<Decision, string> = {
  approve: 'keel review approve ID [--comment C]',
  edit: 'keel review edit ID --output JSON [--comment C]',
  reject: 'keel review reject ID --reason R',
  escalate: 'keel review escalate ID --note N',
};

const summaries: Record<Decision, string> = {
  approve: 'Approve the proposed output; the run goes on (counts towards a quorum where one is set)',
  edit: 'Replace the proposed output with a corrected one, checked against the output schema (an override)',
  reject: 'Reject the proposed output, with the reason (an override)',
  escalate: 'Hand the task to the next role of its escalation chain, with a note',
};

/** The note each decision needs: a reject's reason, an escalation's note; optional otherwise. */
function noteOf(ctx: CommandContext, decision: Decision): string | undefined {
  if (decision === 'reject') return ctx.string('reason') ?? requireOption(ctx, 'comment', usages.reject);
  if (decision === 'escalate') return ctx.string('note') ?? requireOption(ctx, 'comment', usages.escalate);
  return ctx.string('comment');
}

function decisionCommand(decision: Decision): CommandSpec {
  const usage = usages[decision];
  return {
    path: ['review', decision],
    usage,
    summary: summaries[decision],
    options: {
      comment: { type: 'string', value: 'C', description: 'why, kept with the decision' },
      ...(decision === 'edit' ? { output: { type: 'string', value: 'JSON', description: 'the corrected output as JSON' } } : {}),
      ...(decision === 'reject' ? { reason: { type: 'string', value: 'R', description: 'why it is rejected (required)' } } : {}),
      ...(decision === 'escalate' ? { note: { type: 'string', value: 'N', description: 'what the next person should know (required)' } } : {}),
    },
    args: { min: 1, max: 1 },
    async run(ctx: CommandContext) {
      const output = decision === 'edit' ? parseJsonOption(requireOption(ctx, 'output', usage), '--output', usage) : undefined;
      const comment = noteOf(ctx, decision);
      if ((decision === 'reject' || decision === 'escalate') && !comment?.trim()) throw new UsageError(`${decision} needs a non-empty ${decision === 'reject' ? '--reason' : '--note'}`, usage);
      const r = await (await ctx.api()).post<ReviewDecided>(`/api/reviews/${seg(ctx.args[0] ?? '')}/decision`, {
        decision, ...(output === undefined ? {} : { output }), ...(comment === undefined ? {} : { comment }),
      });
      if (ctx.json) return jsonAnswer(ctx.io, r);
      for (const line of confirmation(r)) ctx.io.out(line);
      return exitCodes.ok;
    },
  };
}

function confirmation(r: ReviewDecided): string[] {
  if (r.outcome === 'recorded') return [`approval recorded: ${r.approvals ?? '?'} of ${r.quorum}; review ${r.id} waits for more approvers`];
  if (r.outcome === 'escalated') return [`review ${r.id} escalated to ${r.assigned_role}; SLA ${time(r.due_at)}`];
  const goesOn = r.run_id ? `; run ${r.run_id} goes on  (keel runs show ${r.run_id} --follow)` : '; the caller gets the decision';
  const lines = [`review ${r.id} ${r.status}${goesOn}`];
  if (r.status === 'edited' && Array.isArray(r.diff)) lines.push(...diffLines(r.diff as Parameters<typeof diffLines>[0]).map((l) => `  ${l}`));
  return lines;
}

export const reviewApproveCommand = decisionCommand('approve');
export const reviewRejectCommand = decisionCommand('reject');
export const reviewEditCommand = decisionCommand('edit');
export const reviewEscalateCommand = decisionCommand('escalate');

const claimUsage = 'keel review claim ID [--minutes N]';

export const reviewClaimCommand: CommandSpec = {
  path: ['review', 'claim'],
  usage: claimUsage,
  summary: 'Claim an open review so nobody else decides it while you look (15 minutes unless --minutes; again to renew)',
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

export const reviewCommentCommand: CommandSpec = {
  path: ['review', 'comment'],
  usage: 'keel review comment ID TEXT',
  summary: 'Add a comment to a task (open or decided)',
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [id = '', body = ''] = ctx.args;
    const c = await (await ctx.api()).post<{ id: number }>(`/api/reviews/${seg(id)}/comments`, { body });
    if (ctx.json) return jsonAnswer(ctx.io, c);
    ctx.io.out(`comment added to review ${id}`);
    return exitCodes.ok;
  },
};

interface BulkAnswer {
  results: { id: string; ok: boolean; status?: string; error?: { code: string; message: string } }[];
}

export const reviewBulkApproveCommand: CommandSpec = {
  path: ['review', 'bulk-approve'],
  usage: 'keel review bulk-approve ID... [--comment C]',
  summary: 'Approve several tasks of low-risk workflows; each is decided and audited on its own',
  options: { comment: { type: 'string', value: 'C', description: 'kept with every decision' } },
  args: { min: 1, max: 200 },
  async run(ctx) {
    const body = await (await ctx.api()).post<BulkAnswer>('/api/reviews/bulk-approve', { ids: ctx.args, comment: ctx.string('comment') });
    if (ctx.json) return jsonAnswer(ctx.io, body);
    for (const r of body.results) ctx.io.out(r.ok ? `${r.id}  ${r.status}` : `${r.id}  not approved: ${r.error?.message ?? 'unknown'}`);
    const refused = body.results.filter((r) => !r.ok).length;
    ctx.io.out(`${body.results.length - refused} approved, ${refused} refused`);
    return refused > 0 ? exitCodes.error : exitCodes.ok;
  },
};
