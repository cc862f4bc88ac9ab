export const reviewStatuses = ['pending', 'approved', 'edited', 'rejected', 'expired'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];
export const reviewDecisions = ['approve', 'edit', 'reject'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];

export interface ReviewRow {
  id: string;
  run_id: string;
  step_id: string;
  workflow_id: string;
  status: ReviewStatus;
  reason: string;
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
  created_at: Date;
}
