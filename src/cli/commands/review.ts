// `keel review list|show|next`: the review queue from the terminal. Deciding is in review-decide.ts.
import { seg } from '../api-client.js';
import { reviewStateNames, type Review, type ReviewDetail } from '../api-types.js';
import { exitCodes, oneOf, parseInteger, type CommandSpec } from '../command.js';
import { diffLines, fold, jsonAnswer, table, time } from '../output.js';

const listUsage = 'keel review list [--state S] [--workflow W] [--mine] [--urgent]';
const priorityNames = ['low', 'normal', 'high', 'urgent'];

export const reviewListCommand: CommandSpec = {
  path: ['review', 'list'],
  usage: listUsage,
  summary: 'List review tasks: open ones, oldest first (most urgent first with --urgent)',
  options: {
    state: { type: 'string', value: 'S', description: `open (default), ${reviewStateNames.join('|')}, or all` },
    status: { type: 'string', value: 'S', description: 'same as --state' },
    workflow: { type: 'string', value: 'W', description: 'only tasks of this workflow' },
    mine: { type: 'boolean', description: 'only tasks for my roles or assigned to me' },
    urgent: { type: 'boolean', description: 'most urgent first: priority, then the soonest SLA' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const wanted = ctx.string('state') ?? ctx.string('status') ?? 'open';
    const state = wanted === 'all' ? undefined : oneOf(wanted, ['open', ...reviewStateNames], '--state', listUsage);
    const body = await (await ctx.api()).get<{ reviews: Review[] }>('/api/reviews', {
      state, workflow: ctx.string('workflow'), mine: ctx.bool('mine') ? 'true' : undefined, order: ctx.bool('urgent') ? 'urgent' : undefined,
    });
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.reviews.length === 0) {
      ctx.io.out(state ? `no ${state} reviews` : 'no reviews');
      return exitCodes.ok;
    }
    const rows = body.reviews.map((r) => [
      r.id, r.state, priorityNames[r.priority] ?? String(r.priority), r.workflow_id, r.reason, r.assigned_to ?? r.assigned_role ?? '',
      sla(r), r.title ?? '',
    ]);
    for (const line of table(['REVIEW', 'STATE', 'PRIORITY', 'WORKFLOW', 'REASON', 'ASSIGNED', 'SLA', 'TITLE'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

/** The SLA as a person reads it: time left, or how long it is overdue; nothing for a decided task. */
function sla(r: Review, now = Date.now()): string {
  if (!['pending', 'claimed', 'escalated'].includes(r.state) || !r.due_at) return '';
  const ms = Date.parse(r.due_at) - now;
  const text = span(Math.abs(ms));
  return ms >= 0 ? `${text} left` : `${text} overdue`;
}

function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${String(minutes % 60).padStart(2, '0')}m` : `${Math.floor(hours / 24)}d`;
}

export const reviewShowCommand: CommandSpec = {
  path: ['review', 'show'],
  usage: 'keel review show ID',
  summary: 'Show a review task: what is proposed, why, what approval runs, and how to decide it',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<ReviewDetail>(`/api/reviews/${seg(ctx.args[0] ?? '')}`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    printReview(ctx.io.out, r);
    return exitCodes.ok;
  },
};

function printReview(out: (line: string) => void, r: ReviewDetail): void {
  out(`review ${r.id}  ${r.state}  ${priorityNames[r.priority] ?? r.priority}${r.title ? `  ${r.title}` : ''}`);
  out(`  workflow  ${r.workflow_id}${r.run_id ? `  run ${r.run_id}  step ${r.step_id}` : `  external${r.external_ref ? ` ref ${r.external_ref}` : ''}`}${r.stage ? `  (${r.stage})` : ''}`);
  out(`  reason    ${r.reason}`);
  if (r.assigned_role || r.assigned_to) out(`  assigned  ${[r.assigned_to, r.assigned_role && `role ${r.assigned_role}`].filter(Boolean).join(', ')}${r.escalation_level ? `  (escalated ${r.escalation_level}x)` : ''}`);
  if (r.escalation_chain.length > 0) out(`  then      ${r.escalation_chain.join(' -> ')}`);
  out(`  created   ${time(r.created_at)}${r.requested_by ? ` by ${r.requested_by}` : ''}`);
  if (r.due_at) out(`  sla       ${time(r.due_at)}${sla(r) ? ` (${sla(r)})` : ''}  deadline ${time(r.deadline_at)}: ${r.on_deadline}`);
  if (r.quorum > 1) out(`  quorum    ${r.approvals.length} of ${r.quorum} approvals${r.approvals.length ? ` (${r.approvals.map((a) => a.actor).join(', ')})` : ''}`);
  if (r.state === 'claimed') out(`  claimed   by ${r.claimed_by} until ${time(r.claimed_until)}`);
  const { actions, ...context } = r.context ?? {};
  if (Object.keys(context).length > 0) {
    // Why the step stopped and what it saw (model, prompt version, confidence, alternatives): each on its own line.
    out('context:');
    for (const [key, value] of Object.entries(context)) out(`  ${key.padEnd(13)} ${fold(value)}`);
  }
  if (Array.isArray(actions) && actions.length > 0) {
    out('approval runs:');
    for (const a of actions as { step: string; action: string; delivery: string }[]) out(`  ${a.step}  ${a.action}  (${a.delivery})`);
  }
  // The proposal is what a person decides on, so it is shown whole, not folded.
  out('proposed:');
  for (const line of JSON.stringify(r.proposed ?? null, null, 2).split('\n')) out(`  ${line}`);
  if (r.status === 'edited' && Array.isArray(r.diff)) {
    out('edited:');
    for (const line of diffLines(r.diff as Parameters<typeof diffLines>[0])) out(`  ${line}`);
  }
  if (r.decided_by) out(`${r.status} by ${r.decided_by} at ${time(r.decided_at)}${r.comment ? `: ${r.comment}` : ''}`);
  for (const c of r.comments) out(`  ${time(c.created_at)} ${c.actor}: ${c.body}`);
  if (['pending', 'claimed', 'escalated'].includes(r.state)) {
    out('');
    out(`decide: keel review approve ${r.id} | reject ${r.id} --reason R | edit ${r.id} --output JSON | escalate ${r.id} --note N`);
  }
}

const nextUsage = 'keel review next [--workflow W] [--minutes N]';

export const reviewNextCommand: CommandSpec = {
  path: ['review', 'next'],
  usage: nextUsage,
  summary: 'Claim the most urgent free task for your roles and show it',
  options: {
    workflow: { type: 'string', value: 'W', description: 'only tasks of this workflow' },
    minutes: { type: 'string', value: 'N', description: 'how long the claim holds, 1 to 1440 (15 by default)' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const minutesText = ctx.string('minutes');
    const minutes = minutesText === undefined ? undefined : parseInteger(minutesText, '--minutes', 1, 1440, nextUsage);
    const api = await ctx.api();
    const { review } = await api.post<{ review: Review | null }>('/api/reviews/next', { workflow: ctx.string('workflow'), minutes });
    if (!review) {
      if (ctx.json) return jsonAnswer(ctx.io, { review: null });
      ctx.io.out('the queue is empty: no free task for your roles');
      return exitCodes.ok;
    }
    const detail = await api.get<ReviewDetail>(`/api/reviews/${seg(review.id)}`);
    if (ctx.json) return jsonAnswer(ctx.io, { review: detail });
    printReview(ctx.io.out, detail);
    return exitCodes.ok;
  },
};
