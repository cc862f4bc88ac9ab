import type { Queryable } from '../../db/index.js';
import type { BudgetSpec, StepSpec } from '../../spec/index.js';
import type { Faults } from '../faults.js';
import type { Lease } from '../transitions.js';
import type { StepScope } from '../types.js';

/** What a step handler needs from the run that executes it. */
export interface StepRun {
  db: Queryable;
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
  /** The output of this step's latest attempt when it succeeded (a loop came back to the step). */
  previousOutput?: unknown;
  /** Set by a handler that wrote its own attempt row, so a failure is recorded on that row. */
  recordedAttemptId?: number;
  /** Library references of this workflow version and the exact versions they were pinned to at deploy. */
  library: Readonly<Record<string, string>>;
  /** The workflow's model spending caps. */
  budget?: BudgetSpec;
}

export type StepOutcome =
  /** Done: `next` overrides where the run goes (route, rejected review); undefined = the usual next step. */
  | { kind: 'completed'; output: unknown; next?: string; attemptId?: number }
  /** The run waits for a person; the handler already suspended it. */
  | { kind: 'waiting' }
  /** A reviewer rejected and the workflow says the run ends there. */
  | { kind: 'rejected'; output: unknown; attemptId?: number };

export interface StepHandler<S extends StepSpec = StepSpec> {
  execute(step: S, run: StepRun): Promise<StepOutcome>;
}

/** An action behind the `action` step. */
export interface ActionHandler {
  call(request: ActionRequest): Promise<unknown>;
  /** For check-then-act: has our reference already been acted on? */
  check?(request: ActionRequest): Promise<{ exists: boolean; output?: unknown }>;
}

export interface ActionRequest {
  config: Record<string, unknown>;
  scope: StepScope;
  idempotencyKey: string;
  signal: AbortSignal;
}
