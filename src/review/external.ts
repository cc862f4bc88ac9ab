// Review tasks of external workflows: a script or an n8n flow that runs elsewhere asks Keel for a
// person's decision through the API, and gets it by callback or by long-polling. The task is an
// ordinary row of the review queue (same SLA, escalation and audit) with no run behind it.
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { compileJsonSchema, parseDuration, validationProblems } from '../spec/index.js';
import { queueReviewEvent } from './events.js';
import { taskClock } from './policy.js';
import { newReviewId } from './store.js';
import { isOpen, priorities, type Priority, type ReviewRow } from './types.js';

export interface ExternalReviewRequest {
  workflowId: string;
  /** Who asks (the token's holder); recorded as requested_by, so they cannot approve their own request. */
  actor: string;
  title: string;
  /** What the person needs to see to decide. */
  payload: unknown;
  /** The output to approve, edit or reject. */
  proposed: unknown;
  /** The caller's own reference: asking twice with it returns the first task. */
  externalRef?: string;
  /** Where the decision is POSTed, signed with the callback secret. */
  callbackUrl?: string;
  role?: string;
  priority?: Priority;
  escalateTo?: string[];
  /** The SLA as a duration (default 24h). */
  due?: string;
  /** The hard deadline: a duration from now or an ISO 8601 time. Default: due x (chain length + 1). */
  deadline?: string;
  onDeadline?: 'reject' | 'approve';
  quorum?: number;
  outputSchema?: Record<string, unknown>;
  context?: Record<string, unknown>;
  stage?: string;
}

export interface ExternalReviewOptions {
  /** Whether reviews.callbackSecretEnv holds a secret; without one a callback could not be signed. */
  callbackSecretConfigured: boolean;
  now?: Date;
}

/**
 * Opens a review task for an external workflow, audited and announced (review:created) in the same
 * transaction. With an external_ref already used on this workflow, returns that task unchanged.
 */
export async function requestExternalReview(db: Db, input: ExternalReviewRequest, options: ExternalReviewOptions): Promise<{ review: ReviewRow; created: boolean }> {
  const now = options.now ?? new Date();
  checkCallback(input.callbackUrl, options.callbackSecretConfigured);
  checkOutputSchema(input.outputSchema, input.proposed);
  const chain = input.escalateTo ?? [];
  const due = input.due ?? '24h';
  duration(due, 'due');
  // The same clock as a managed task's; only an absolute deadline (an ISO time) is the caller's own.
  const absolute = input.deadline !== undefined && !/^\d+(ms|s|m|h|d)$/.test(input.deadline);
  if (input.deadline !== undefined) deadlineFrom(input.deadline, now);
  const clock = taskClock({ due, escalateTo: chain, deadline: absolute ? undefined : input.deadline, onDeadline: input.onDeadline ?? 'reject', quorum: input.quorum ?? 1 }, now);
  const deadlineAt = absolute ? deadlineFrom(input.deadline!, now) : clock.deadlineAt;
  const dueAt = new Date(Math.min(clock.dueAt.getTime(), deadlineAt.getTime()));

  return db.transaction(async (tx) => {
    const workflow = await tx.query<{ kind: string; version_id: string | null }>(
      `SELECT w.kind, d.version_id FROM workflows w LEFT JOIN deployments d ON d.workflow_id = w.id AND d.stage = $2 WHERE w.id = $1`,
      [input.workflowId, input.stage ?? 'production'],
    );
    const found = workflow.rows[0];
    if (!found) throw new KeelError('not_found', `No workflow named ${input.workflowId}.`, { hint: 'Register it with `keel deploy <file>` (kind: external).' });
    if (found.kind !== 'external') {
      throw new KeelError('conflict', `Workflow ${input.workflowId} is managed: Keel runs it, and its review steps open their own tasks.`, {
        hint: 'Only workflows with `kind: external` ask for reviews through the API; start a run of this one with POST /api/workflows/{id}/runs.',
      });
    }
    const inserted = await tx.query<ReviewRow>(
      `INSERT INTO reviews (id, workflow_id, version_id, stage, status, reason, title, proposed, context, assigned_role, priority,
         requested_by, due_at, sla_seconds, escalation_chain, deadline_at, on_deadline, quorum, output_schema, external_ref, callback_url)
       VALUES ($1, $2, $3, $4, 'pending', 'manual', $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, $13::text[], $14, $15, $16, $17::jsonb, $18, $19)
       ON CONFLICT (workflow_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING
       RETURNING *`,
      [newReviewId(), input.workflowId, found.version_id, input.stage ?? 'production', input.title, JSON.stringify(input.proposed ?? null),
        JSON.stringify({ ...input.context, payload: input.payload ?? null, source: 'external' }), input.role ?? 'reviewer',
        priorities.indexOf(input.priority ?? 'normal'), input.actor, dueAt, clock.slaSeconds, chain, deadlineAt,
        input.onDeadline ?? 'reject', input.quorum ?? 1, input.outputSchema === undefined ? null : JSON.stringify(input.outputSchema),
        input.externalRef ?? null, input.callbackUrl ?? null],
    );
    const review = inserted.rows[0];
    if (!review) {
      // The reference was used before (or by a request committing just now): that task is the answer.
      const existing = await tx.query<ReviewRow>('SELECT * FROM reviews WHERE workflow_id = $1 AND external_ref = $2', [input.workflowId, input.externalRef]);
      return { review: existing.rows[0]!, created: false };
    }
    await recordAudit(tx, {
      actor: input.actor, action: 'review:created', subjectType: 'review', subjectId: review.id,
      data: { workflow: input.workflowId, external: true, external_ref: review.external_ref, role: review.assigned_role, callback: review.callback_url !== null },
    });
    await queueReviewEvent(tx, review, 'review:created');
    return { review, created: true };
  });
}

function checkCallback(url: string | undefined, secretConfigured: boolean): void {
  if (url === undefined) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password) {
    throw invalid('body.callback_url', 'must be an http or https URL without user name or password');
  }
  if (!secretConfigured) {
    throw new KeelError('invalid_input', 'This Keel has no callback secret, so it cannot sign decision callbacks.', {
      hint: 'Set KEEL_CALLBACK_SECRET (or the variable reviews.callbackSecretEnv names) on the server, or wait for the decision with GET /api/reviews/{id}/decision?wait=60.',
      problems: [{ path: 'body.callback_url', message: 'no callback secret is configured' }],
    });
  }
}

function checkOutputSchema(schema: Record<string, unknown> | undefined, proposed: unknown): void {
  if (schema === undefined) return;
  let validate: ReturnType<typeof compileJsonSchema>;
  try {
    validate = compileJsonSchema(schema);
  } catch (error) {
    throw invalid('body.output_schema', `not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The proposal is what an approve sends back: it must already be an output the caller accepts.
  if (!validate(proposed)) {
    throw new KeelError('invalid_input', 'The request proposed is invalid: it does not match output_schema.', { problems: validationProblems(validate, 'body.proposed') });
  }
}

function duration(text: string, field: string): number {
  try {
    const ms = parseDuration(text);
    if (ms < 1000) throw new KeelError('invalid_input', 'too short');
    return ms;
  } catch {
    throw invalid(`body.${field}`, 'must be a duration of at least 1s, such as 30m, 4h or 2d');
  }
}

function deadlineFrom(text: string, now: Date): Date {
  const at = /^\d+(ms|s|m|h|d)$/.test(text) ? new Date(now.getTime() + duration(text, 'deadline')) : new Date(text);
  if (Number.isNaN(at.getTime()) || at <= now) throw invalid('body.deadline', 'must be a duration such as 3d or an ISO 8601 time in the future');
  return at;
}

function invalid(path: string, message: string): KeelError {
  return new KeelError('invalid_input', `The request ${path.split('.')[1] ?? path} is invalid: ${message}.`, { problems: [{ path, message }] });
}

/** What the caller of an external task gets back: the decision, and the output to act on. */
export interface ReviewDecisionView {
  id: string;
  workflow_id: string;
  external_ref: string | null;
  status: ReviewRow['status'];
  /** approve, edit or reject; null while open and for an expired task. */
  decision: 'approve' | 'edit' | 'reject' | null;
  /** The output to act on: the proposal when approved, the person's version when edited; otherwise null. */
  output: unknown;
  comment: string | null;
  decided_by: string | null;
  decided_at: Date | null;
}

const decisionOf = { approved: 'approve', edited: 'edit', rejected: 'reject' } as const;

export function reviewDecisionView(review: ReviewRow): ReviewDecisionView {
  const decision = review.status in decisionOf ? decisionOf[review.status as keyof typeof decisionOf] : null;
  return {
    id: review.id, workflow_id: review.workflow_id, external_ref: review.external_ref, status: review.status, decision,
    output: review.status === 'edited' ? review.decided_output : review.status === 'approved' ? review.proposed : null,
    comment: review.comment, decided_by: review.decided_by, decided_at: review.decided_at,
  };
}

async function loadReview(db: Queryable, id: string): Promise<ReviewRow> {
  const r = await db.query<ReviewRow>('SELECT * FROM reviews WHERE id = $1', [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No review ${id}.`);
  return r.rows[0];
}

/**
 * Waits until the task is decided (or expired), at most `waitMs`, and returns it as it then stands.
 * Polls: a decision commits in whichever process the person used, and a short poll of one indexed
 * row is cheaper than a listener per waiting caller. Ends at once when `signal` aborts (the caller left).
 */
export async function waitForReviewDecision(db: Queryable, id: string, options: { waitMs: number; signal?: AbortSignal; pollMs?: number }): Promise<ReviewRow> {
  const until = Date.now() + options.waitMs;
  for (;;) {
    const review = await loadReview(db, id);
    const left = until - Date.now();
    if (!isOpen(review) || left <= 0 || options.signal?.aborted) return review;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(options.pollMs ?? 250, left));
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
