export const reviewStatuses = ['pending', 'approved', 'edited', 'rejected', 'expired'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];
export const reviewDecisions = ['approve', 'edit', 'reject'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];
/** Why a run waits for a person. The review queue issue adds the approval boundary's reasons. */
export const reviewReasons = ['manual', 'low_confidence', 'malformed_output', 'no_response', 'budget_exceeded'] as const;
export type ReviewReason = (typeof reviewReasons)[number];

export interface ReviewRow {
  id: string;
  run_id: string;
  step_id: string;
  workflow_id: string;
  status: ReviewStatus;
  reason: string;
  context: Record<string, unknown> | null;
  title: string | null;
  proposed: unknown;
  decided_output: unknown;
  comment: string | null;
  assigned_role: string | null;
  assigned_to: string | null;
  due_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  retired_at: Date | null;
  /** Who is working on the task, and until when (the claim frees itself then). */
  claimed_by: string | null;
  claimed_until: Date | null;
  created_at: Date;
}
