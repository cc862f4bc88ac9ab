import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { diffValues } from '../diff.js';
import { KeelError } from '../errors.js';
import { compileJsonSchema, validationProblems } from '../spec/index.js';
import { claimedByOther } from './claims.js';
import { queueReviewEvent } from './events.js';
import { getReview, newReviewId } from './store.js';
import { isOpen, type ReviewDecision, type ReviewRow, type ReviewStatus } from './types.js';

export interface DecideInput {
  /** The review's id, or the run and step it belongs to (the review may not exist yet). */
  target: { reviewId: string } | { runId: string; stepId: string; workflowId: string };
  decision: ReviewDecision;
  /** Required for `edit`: the corrected output. */
  output?: unknown;
  /** The note: required for `reject` (the reason) and `escalate`. */
  comment?: string;
  actor: string;
  /** The roles the actor works tasks for on this workflow; `all` for an admin or the local CLI. */
  actorRoles?: 'all' | readonly string[];
}

/** Puts the decided run back to work. Injected by the composition root (the engine owns runs). */
export type WakeRun = (tx: Queryable, runId: string) => Promise<unknown>;

/** What a decision did: `recorded` when an approval counted towards a quorum not yet reached. */
export interface DecisionResult {
  review: ReviewRow;
  outcome: 'decided' | 'escalated' | 'recorded';
  approvals?: number;
}

const finalStatus: Record<'approve' | 'edit' | 'reject', ReviewStatus> = { approve: 'approved', edit: 'edited', reject: 'rejected' };
/** Where an escalation goes when the task names no chain: up the ladder of global roles. */
const ladder = ['reviewer', 'approver', 'admin'];

/**
 * Records a decision once. The run (or, for an external task, the task) is locked first, so a
 * worker suspending the run cannot miss the wake-up, and the final write is conditional on the task
 * still being open: of two people deciding at once exactly one wins, the other gets `conflict`.
 */
export async function decideReview(db: Db, input: DecideInput, wake: WakeRun): Promise<DecisionResult> {
  checkShape(input);
  return db.transaction(async (tx) => {
    const { existing, runId, workflowId, requestedBy } = await lockTarget(tx, input);
    if (existing) checkMayDecide(existing, input);
    if ((input.decision === 'approve' || input.decision === 'edit') && requestedBy === input.actor) {
      throw new KeelError('permission_denied', `${input.actor} asked for this review and may not approve their own request.`, {
        hint: 'Someone else decides: nobody approves their own request.',
      });
    }
    if (!existing) return preDecide(tx, input, runId!, workflowId, wake);
    if (input.decision === 'escalate') return escalate(tx, existing, input);
    if (input.decision === 'approve' && existing.quorum > 1) {
      const approvals = await addApproval(tx, existing, input.actor);
      if (approvals < existing.quorum) {
        const review = await releaseClaim(tx, existing.id);
        await recordAudit(tx, { actor: input.actor, action: 'review:approval_recorded', subjectType: 'review', subjectId: review.id, data: { approvals, quorum: review.quorum } });
        return { review, outcome: 'recorded', approvals };
      }
    }
    const review = await finalize(tx, existing, input);
    if (review.run_id) await wake(tx, review.run_id);
    return { review, outcome: 'decided' };
  });
}

function checkShape(input: DecideInput): void {
  if (input.decision === 'edit' && input.output === undefined) {
    throw new KeelError('invalid_input', 'An edit needs the corrected output.', { problems: [{ path: 'output', message: 'required when decision is edit' }] });
  }
  if ((input.decision === 'reject' || input.decision === 'escalate') && !input.comment?.trim()) {
    const what = input.decision === 'reject' ? 'A reject needs its reason' : 'An escalation needs a note for the next person';
    throw new KeelError('invalid_input', `${what}.`, { problems: [{ path: 'comment', message: `required when decision is ${input.decision}` }] });
  }
}

interface Target {
  existing?: ReviewRow;
  runId: string | null;
  workflowId: string;
  requestedBy: string | null;
}

async function lockTarget(tx: Queryable, input: DecideInput): Promise<Target> {
  const target = input.target;
  if ('reviewId' in target) {
    const found = await getReview(tx, target.reviewId);
    if (found.run_id) await lockRun(tx, found.run_id);
    const locked = await tx.query<ReviewRow>(`SELECT * FROM reviews WHERE id = $1 FOR UPDATE`, [found.id]);
    const existing = locked.rows[0]!;
    return { existing, runId: existing.run_id, workflowId: existing.workflow_id, requestedBy: existing.requested_by };
  }
  const run = await lockRun(tx, target.runId);
  if (run.workflow_id !== target.workflowId) throw new KeelError('not_found', `Run ${target.runId} does not belong to workflow ${target.workflowId}.`);
  const r = await tx.query<ReviewRow>(`SELECT * FROM reviews WHERE run_id = $1 AND step_id = $2 AND retired_at IS NULL FOR UPDATE`, [target.runId, target.stepId]);
  return { existing: r.rows[0], runId: target.runId, workflowId: run.workflow_id, requestedBy: r.rows[0]?.requested_by ?? run.requested_by };
}

async function lockRun(tx: Queryable, runId: string): Promise<{ workflow_id: string; requested_by: string | null }> {
  const r = await tx.query<{ workflow_id: string; requested_by: string | null }>(`SELECT workflow_id, requested_by FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
  if (!r.rows[0]) throw new KeelError('not_found', `No run ${runId}.`);
  return r.rows[0];
}

function checkMayDecide(review: ReviewRow, input: DecideInput): void {
  if (!isOpen(review)) {
    throw new KeelError('conflict', `Review ${review.id} is already ${review.status}.`, { hint: 'A review is decided once; its decision is in the run history.' });
  }
  if (claimedByOther(review, input.actor)) {
    throw new KeelError('conflict', `Review ${review.id} is claimed by ${review.claimed_by} until ${new Date(review.claimed_until!).toISOString()}.`, {
      hint: 'The person holding the claim decides it, or it frees itself when the claim expires.',
    });
  }
  const roles = input.actorRoles ?? 'all';
  if (roles === 'all') return;
  if (review.assigned_to !== null && review.assigned_to !== input.actor) {
    throw new KeelError('permission_denied', `Review ${review.id} is assigned to ${review.assigned_to}.`, { hint: 'They decide it, or an admin.' });
  }
  // Every holder of reviews:decide works the reviewer queue; other roles are theirs alone.
  const role = review.assigned_role;
  if (review.assigned_to === null && role !== null && role !== 'reviewer' && !roles.includes(role)) {
    throw new KeelError('permission_denied', `Review ${review.id} waits for the ${role} role, which ${input.actor} does not hold.`, {
      hint: `Someone with the ${role} role (or an admin) decides it.`,
    });
  }
}

/** A decision for a step the run has not reached yet: stored now, applied when the run gets there. */
async function preDecide(tx: Queryable, input: DecideInput, runId: string, workflowId: string, wake: WakeRun): Promise<DecisionResult> {
  if (input.decision === 'escalate') {
    throw new KeelError('conflict', 'There is no review task to escalate yet: the run has not reached this step.', { hint: 'Escalate once the task exists, or decide it now.' });
  }
  const stepId = (input.target as { stepId: string }).stepId;
  const r = await tx.query<ReviewRow>(
    `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, decided_output, comment, decided_by, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, now()) RETURNING *`,
    [newReviewId(), runId, stepId, workflowId, finalStatus[input.decision], input.decision === 'edit' ? JSON.stringify(input.output) : null, input.comment ?? null, input.actor],
  );
  const review = r.rows[0]!;
  await audited(tx, review, input);
  await wake(tx, runId);
  return { review, outcome: 'decided' };
}

async function finalize(tx: Queryable, existing: ReviewRow, input: DecideInput): Promise<ReviewRow> {
  const decision = input.decision as 'approve' | 'edit' | 'reject';
  let diff: unknown = null;
  if (decision === 'edit') {
    checkEdit(existing, input.output);
    diff = diffValues(existing.proposed, input.output);
  }
  const r = await tx.query<ReviewRow>(
    `UPDATE reviews SET status = $2, decided_output = $3::jsonb, comment = $4, decided_by = $5, decided_at = now(), diff = $6::jsonb,
       claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND status IN ('pending', 'escalated') RETURNING *`,
    [existing.id, finalStatus[decision], decision === 'edit' ? JSON.stringify(input.output) : null, input.comment ?? null, input.actor, JSON.stringify(diff)],
  );
  const review = r.rows[0];
  // The locks above already serialise deciders; the condition keeps a second decision from ever overwriting the first.
  if (!review) throw new KeelError('conflict', `Review ${existing.id} was decided meanwhile.`, { hint: 'Its decision is in the run history.' });
  await audited(tx, review, input);
  return review;
}

/** An edited output must still be what the step promises: its output schema, every failing field named. */
function checkEdit(review: ReviewRow, output: unknown): void {
  if (!review.output_schema) return;
  const validate = compileJsonSchema(review.output_schema);
  if (validate(output)) return;
  const problems = validationProblems(validate, 'output');
  throw new KeelError('invalid_input', `The edited output does not match the output schema of ${review.step_id ?? 'the task'}.`, {
    problems, hint: 'Correct the named fields; nothing was decided.',
  });
}

async function audited(tx: Queryable, review: ReviewRow, input: DecideInput): Promise<void> {
  await recordAudit(tx, {
    actor: input.actor, action: 'review:decided', subjectType: 'review', subjectId: review.id,
    data: { run: review.run_id, step: review.step_id, decision: input.decision, ...(review.diff ? { diff: review.diff } : {}) },
  });
  await queueReviewEvent(tx, review, 'review:decided');
}

async function addApproval(tx: Queryable, review: ReviewRow, actor: string): Promise<number> {
  const added = await tx.query(`INSERT INTO review_votes (review_id, actor) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [review.id, actor]);
  if (added.rowCount === 0) {
    throw new KeelError('conflict', `${actor} has already approved review ${review.id}.`, { hint: `It needs ${review.quorum} different people to approve.` });
  }
  const r = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM review_votes WHERE review_id = $1`, [review.id]);
  return r.rows[0]!.n;
}

async function releaseClaim(tx: Queryable, id: string): Promise<ReviewRow> {
  const r = await tx.query<ReviewRow>(`UPDATE reviews SET claimed_by = NULL, claimed_until = NULL WHERE id = $1 RETURNING *`, [id]);
  return r.rows[0]!;
}

/** The role after `current`: the task's own chain first, else up the ladder of global roles. */
export function nextRole(review: Pick<ReviewRow, 'escalation_chain' | 'assigned_role'>): { role: string; rest: string[] } | undefined {
  const [first, ...rest] = review.escalation_chain;
  if (first !== undefined) return { role: first, rest };
  const at = ladder.indexOf(review.assigned_role ?? 'reviewer');
  const up = at === -1 ? undefined : ladder[at + 1];
  return up === undefined ? undefined : { role: up, rest: [] };
}

/**
 * Moves an open task to the next role with a note: it becomes `escalated`, high priority, with a
 * fresh SLA. Used by a person (decision `escalate`) and by the SLA sweeper (actor `keel:sla`).
 */
export async function escalate(tx: Queryable, existing: ReviewRow, input: { actor: string; comment?: string }, now?: Date): Promise<DecisionResult> {
  const next = nextRole(existing);
  if (!next) {
    throw new KeelError('conflict', `Review ${existing.id} is already with ${existing.assigned_role ?? 'its last role'}; there is nobody further to escalate to.`, {
      hint: 'Decide it, or add roles to the workflow\'s escalate_to chain.',
    });
  }
  const r = await tx.query<ReviewRow>(
    `UPDATE reviews SET status = 'escalated', assigned_role = $2, assigned_to = NULL, escalation_chain = $3::text[],
       escalation_level = escalation_level + 1, escalated_at = coalesce(escalated_at, $4), priority = greatest(priority, 2),
       due_at = least($4 + make_interval(secs => coalesce(sla_seconds, 86400)), coalesce(deadline_at, 'infinity')),
       claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND status IN ('pending', 'escalated') RETURNING *`,
    [existing.id, next.role, next.rest, now ?? new Date()],
  );
  const review = r.rows[0];
  if (!review) throw new KeelError('conflict', `Review ${existing.id} was decided meanwhile.`);
  if (input.comment) await tx.query(`INSERT INTO review_comments (review_id, actor, body) VALUES ($1, $2, $3)`, [review.id, input.actor, input.comment]);
  await recordAudit(tx, {
    actor: input.actor, action: 'review:escalated', subjectType: 'review', subjectId: review.id,
    data: { run: review.run_id, from: existing.assigned_role, to: review.assigned_role, level: review.escalation_level, note: input.comment ?? null },
  });
  await queueReviewEvent(tx, review, 'review:escalated');
  return { review, outcome: 'escalated' };
}
