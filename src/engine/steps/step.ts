import type { Db } from '../../db/index.js';
import type { BudgetSpec, StepSpec, WorkflowSpec } from '../../spec/index.js';
import type { Faults } from '../faults.js';
import type { Lease } from '../transitions.js';
import type { RunPurpose, StepScope } from '../types.js';

/** What a step handler needs from the run that executes it. */
export interface StepRun {
  db: Db;
  lease: Lease;
  scope: StepScope;
  workflowId: string;
  attempt: number;
  startedAt: Date;
  signal: AbortSignal;
  faults: Faults;
  /** Derived from run and step: the same for every attempt, so targets can deduplicate. */
  idempotencyKey: string;
  /** An attempt row left open by an earlier lease (a waiting review, an interrupted effect). */
  openAttempt?: { id: number; effect: 'started' | 'done' | null };
  /** The previous holder started a check-then-act effect and died: look before acting again. */
  checkFirst: boolean;
  /** Set by a handler that wrote its own attempt row, so a failure is recorded on that row. */
  recordedAttemptId?: number;
  /** Library references of this workflow version and the exact versions they were pinned to at deploy. */
  library: Readonly<Record<string, string>>;
  /** The workflow's model spending caps. */
  budget?: BudgetSpec;
  /** The whole definition (the actions after a step are part of what a reviewer sees). */
  spec: WorkflowSpec;
  /** Who started the run by hand; they may not approve its reviews. */
  requestedBy: string | null;
  /** A run Keel started to try a version asks nobody: see openTask. */
  purpose: RunPurpose;
}

export type StepOutcome =
  /**
   * Done: `next` overrides where the run goes (route, rejected review); undefined = the usual next
   * step. `patch` replaces earlier steps' outputs (an edit at the approval boundary).
   */
  | { kind: 'completed'; output: unknown; next?: string; attemptId?: number; patch?: Record<string, unknown> }
  /** The run waits for a person; the handler already suspended it. */
  | { kind: 'waiting' }
  /** A reviewer rejected and the workflow says the run ends there. */
  | { kind: 'rejected'; output: unknown; attemptId?: number }
  /** Nobody decided by the hard deadline and the workflow says to cancel the run. */
  | { kind: 'canceled'; output: unknown; attemptId?: number };

export interface StepHandler<S extends { id: string; kind: string } = StepSpec> {
  execute(step: S, run: StepRun): Promise<StepOutcome>;
}
