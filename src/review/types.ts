/**
 * Stored states of a review task. `pending` and `escalated` are open; the rest are decided once.
 * `claimed` is not stored: it is an open task whose claim is live (see `taskState`), because a
 * claim lapses by itself and a stored state would go stale.
 */
export const reviewStatuses = ['pending', 'escalated', 'approved', 'edited', 'rejected', 'expired'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];
/** What the API and CLI show: the stored state, or `claimed` while someone holds the task. */
export const taskStates = ['pending', 'claimed', 'escalated', 'approved', 'edited', 'rejected', 'expired'] as const;
export type TaskState = (typeof taskStates)[number];
export const openStatuses: readonly ReviewStatus[] = ['pending', 'escalated'];

export const reviewDecisions = ['approve', 'edit', 'reject', 'escalate'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];
/** Why a task waits for a person. */
export const reviewReasons = [
  'manual', 'low_confidence', 'policy', 'risk', 'sandbox', 'malformed_output', 'no_response', 'outcome_unknown', 'budget_exceeded', 'access_denied',
] as const;
export type ReviewReason = (typeof reviewReasons)[number];
/** What happens to a task nobody decided by its hard deadline. `approve` only where the workflow says so. */
export const deadlineOutcomes = ['reject', 'cancel', 'approve'] as const;
export type DeadlineOutcome = (typeof deadlineOutcomes)[number];
/** 0 low, 1 normal, 2 high, 3 urgent. */
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];

export interface ReviewRow {
  id: string;
  /** Null for a task an external workflow asked for through the API. */
  run_id: string | null;
  step_id: string | null;
  workflow_id: string;
  version_id: string | null;
  stage: string | null;
  status: ReviewStatus;
  reason: string;
  context: Record<string, unknown> | null;
  title: string | null;
  proposed: unknown;
  decided_output: unknown;
  /** The decision's note: required for a reject (its reason) and an escalation. */
  comment: string | null;
  assigned_role: string | null;
  assigned_to: string | null;
  priority: number;
  /** Who asked: the person who started the run, or the caller of an external request. */
  requested_by: string | null;
  /** The SLA: when the task escalates to the next role (or, at the end of the chain, nothing more happens until the deadline). */
  due_at: Date | null;
  sla_seconds: number | null;
  escalation_chain: string[];
  escalation_level: number;
  escalated_at: Date | null;
  /** The hard deadline: `on_deadline` applies then. */
  deadline_at: Date | null;
  on_deadline: DeadlineOutcome;
  quorum: number;
  diff: unknown;
  output_schema: Record<string, unknown> | null;
  external_ref: string | null;
  callback_url: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  retired_at: Date | null;
  /** Who is working on the task, and until when (the claim frees itself then). */
  claimed_by: string | null;
  claimed_until: Date | null;
  created_at: Date;
}

export function isOpen(review: Pick<ReviewRow, 'status'>): boolean {
  return openStatuses.includes(review.status);
}

/** The state a person sees: an open task with a live claim is `claimed`. */
export function taskState(review: Pick<ReviewRow, 'status' | 'claimed_until'>, now = new Date()): TaskState {
  if (isOpen(review) && review.claimed_until !== null && new Date(review.claimed_until) > now) return 'claimed';
  return review.status;
}
