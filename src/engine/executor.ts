import type { Db } from '../db/index.js';
import { KeelError, coerceError, isKeelError, serializeError, type StoredError } from '../errors.js';
import { APPROVAL, parseDuration, type StepSpec, type WorkflowSpec } from '../spec/index.js';
import { approvalGate, type ApprovalGate } from './steps/approval.js';
import type { Faults } from './faults.js';
import { renewLease } from './lease.js';
import { openReconcileTask } from './reconcile.js';
import { retryDelay } from './retry.js';
import type { StepHandler, StepHandlers, StepOutcome, StepRun } from './steps/index.js';
import { terminalStatusFor } from './terminal.js';
import { completeStep, endRun, holdForConnector, interruptAttempt, scheduleRetry, type AttemptFacts, type Lease } from './transitions.js';
import type { AttemptRow, RunRow, StepScope } from './types.js';

export interface ExecutorDeps {
  db: Db;
  handlers: StepHandlers;
  /** The approval boundary the executor puts before a run's first action. */
  approval: StepHandler<ApprovalGate>;
  faults: Faults;
  leaseMs: number;
  heartbeatMs: number;
  /** Versions are immutable, so their definitions (and pinned library versions) are cached by id. */
  loadDefinition(versionId: string): Promise<{ spec: WorkflowSpec; library: Readonly<Record<string, string>> }>;
  onError(message: string, error: unknown, runId: string): void;
}

/** A run claimed more often than this keeps killing its workers; it fails instead of looping. */
const maxClaims = 10;

/**
 * Executes a claimed run step by step while it holds the lease. Every step's result is stored
 * (fenced) before the next starts, so a successor resumes at the first unfinished step and never
 * repeats a finished one. Returns when the run ends, waits, backs off, or the lease is lost.
 */
export async function executeRun(deps: ExecutorDeps, claimed: RunRow): Promise<void> {
  const lease: Lease = { runId: claimed.id, token: claimed.lease_token!, leaseMs: deps.leaseMs, owner: claimed.lease_owner ?? 'unknown' };
  const abort = new AbortController();
  const heartbeat = setInterval(() => {
    renewLease(deps.db, lease.runId, lease.token, deps.leaseMs)
      .then((held) => { if (!held) abort.abort(new Error('lease lost')); })
      .catch((error: unknown) => deps.onError('lease renewal failed', error, lease.runId));
  }, deps.heartbeatMs);
  try {
    const { spec, library } = await deps.loadDefinition(claimed.version_id);
    const state = { ...claimed.state };
    const history = await latestAttempts(deps, claimed.id);
    let stepId = claimed.current_step;
    while (stepId !== null && !abort.signal.aborted) {
      const index = spec.steps.findIndex((s) => s.id === stepId);
      const step = spec.steps[index];
      if (!step) throw new Error(`version ${claimed.version_id} has no step ${stepId}`);
      const ctx: StepContext = { claimed, lease, spec, library, step, index, state, history, signal: abort.signal };
      // The approval boundary stands before the run's first side effect, once per run.
      if (step.kind === 'action' && !(APPROVAL in state)) {
        const passed = await executeStep(deps, { ...ctx, step: approvalGate(step.id, index), handler: deps.approval });
        if (passed === STOP) return;
        if (passed !== step.id) throw new Error(`the approval gate of run ${claimed.id} moved to ${String(passed)} instead of ${step.id}`);
      }
      const next = await executeStep(deps, ctx);
      if (next === STOP) return;
      stepId = next;
    }
  } catch (error) {
    if (!isKeelError(error, 'fenced')) deps.onError('run execution failed', error, lease.runId);
  } finally {
    clearInterval(heartbeat);
  }
}

interface StepContext {
  claimed: RunRow;
  lease: Lease;
  spec: WorkflowSpec;
  library: Readonly<Record<string, string>>;
  step: StepSpec | ApprovalGate;
  /** The gate's handler; a step's comes from the handler table by its kind. */
  handler?: StepHandler<ApprovalGate>;
  index: number;
  state: Record<string, unknown>;
  /** The latest attempt of each step, loaded once per claim and kept current by this worker. */
  history: Map<string, AttemptRow>;
  signal: AbortSignal;
}

/** This worker is done with the run for now (it ended, waits, backs off, or the lease was lost). */
const STOP = Symbol('stop');

/** Runs one step to a stored outcome; returns the next step id, null at the end, or STOP. */
async function executeStep(deps: ExecutorDeps, ctx: StepContext): Promise<string | null | typeof STOP> {
  const { claimed, lease, step } = ctx;
  const previous = ctx.history.get(step.id);
  const attempt: AttemptFacts = { stepId: step.id, kind: step.kind, attempt: (previous?.attempt ?? 0) + 1, startedAt: new Date() };
  let checkFirst = previous?.effect === 'started' && previous.status !== 'succeeded';
  let openAttempt: StepRun['openAttempt'];

  if (claimed.claims > maxClaims) {
    await endRun(deps.db, lease, attempt, 'failed', { error: crashLoopError(claimed) });
    return STOP;
  }
  if (previous?.status === 'waiting') {
    openAttempt = { id: previous.id, effect: previous.effect };
    attempt.attempt = previous.attempt;
    attempt.startedAt = previous.started_at;
  } else if (previous?.status === 'running') {
    const interrupted = await resolveInterrupted(deps, lease, previous, attempt, ctx);
    if (interrupted === STOP) return STOP;
    checkFirst = interrupted.checkFirst;
  }

  const scope: StepScope = {
    input: claimed.input,
    steps: ctx.state,
    run: { id: claimed.id, workflow: claimed.workflow_id, stage: claimed.stage, version: claimed.version_id },
  };
  const run: StepRun = {
    db: deps.db, lease, scope, workflowId: claimed.workflow_id, attempt: attempt.attempt, startedAt: attempt.startedAt,
    signal: ctx.signal, faults: deps.faults, idempotencyKey: `${claimed.id}:${step.id}`, openAttempt, checkFirst,
    library: ctx.library, budget: ctx.spec.budget, spec: ctx.spec, requestedBy: claimed.requested_by, purpose: claimed.purpose,
  };
  let outcome: StepOutcome;
  try {
    const handler = (ctx.handler ?? deps.handlers[step.kind as StepSpec['kind']]) as StepHandler<StepSpec | ApprovalGate>;
    outcome = await withTimeout((signal) => handler.execute(step, Object.assign(run, { signal })), parseDuration(step.timeout), ctx.signal);
  } catch (error) {
    await recordFailure(deps, lease, step, { ...attempt, attemptId: run.recordedAttemptId ?? openAttempt?.id }, coerceError(error), ctx);
    return STOP;
  }
  const facts: AttemptFacts = { ...attempt, attemptId: outcome.kind === 'waiting' ? undefined : outcome.attemptId ?? openAttempt?.id };
  switch (outcome.kind) {
    case 'waiting':
      return STOP;
    case 'rejected':
    case 'canceled':
      await endRun(deps.db, lease, facts, outcome.kind, { output: outcome.output });
      return STOP;
    case 'completed': {
      const next = resolveNext(ctx.spec, ctx.index, outcome.next);
      await completeStep(deps.db, lease, facts, outcome.output, next, outcome.patch);
      deps.faults.hit('after-commit', step.id);
      ctx.state[step.id] = outcome.output;
      Object.assign(ctx.state, outcome.patch);
      ctx.history.set(step.id, { ...(previous ?? ({} as AttemptRow)), attempt: facts.attempt, status: 'succeeded', effect: null, output: outcome.output });
      return next;
    }
  }
}

/** The step after `index`: an explicit target, else the step's `next`, else the following step, `end` meaning none. */
function resolveNext(spec: WorkflowSpec, index: number, chosen: string | undefined): string | null {
  const step = spec.steps[index]!;
  const target = chosen ?? step.next ?? spec.steps[index + 1]?.id ?? 'end';
  return target === 'end' ? null : target;
}

/** The latest attempt of every step of a run: where a resumed run finds what was in flight. */
async function latestAttempts(deps: ExecutorDeps, runId: string): Promise<Map<string, AttemptRow>> {
  const r = await deps.db.query<AttemptRow>(
    `SELECT DISTINCT ON (step_id) * FROM step_attempts WHERE run_id = $1 ORDER BY step_id, attempt DESC, id DESC`, [runId],
  );
  return new Map(r.rows.map((a) => [a.step_id, a]));
}

/**
 * An attempt left `running` means its worker died or stalled mid-step. A side effect it had started
 * follows the delivery class: `unsafe` stops the run for a person (never silently repeated).
 */
async function resolveInterrupted(
  deps: ExecutorDeps, lease: Lease, previous: AttemptRow, attempt: AttemptFacts, run: { claimed: RunRow; spec: WorkflowSpec },
): Promise<typeof STOP | { checkFirst: boolean }> {
  const lost = serializeError(new Error('the worker running this attempt stopped before finishing it'));
  await interruptAttempt(deps.db, lease, previous.id, { ...lost, code: 'internal', retriable: true });
  if (previous.effect !== 'started') return { checkFirst: false };
  if (previous.delivery === 'unsafe') {
    await stopUnknown(deps, lease, attempt, {
      code: 'outcome_unknown', retriable: false,
      message: `Step ${previous.step_id} had started an unsafe action when its worker stopped; it may or may not have taken effect.`,
      hint: 'Check the target system, then reconcile the run in the review queue (it is never repeated automatically).',
    }, run);
    return STOP;
  }
  return { checkFirst: previous.delivery === 'check-then-act' };
}

async function recordFailure(
  deps: ExecutorDeps, lease: Lease, step: StepSpec | ApprovalGate, attempt: AttemptFacts, error: KeelError, run: { claimed: RunRow; spec: WorkflowSpec },
): Promise<void> {
  if (error.code === 'fenced') return;
  const stored = serializeError(error);
  // The kill switch: neither a retry nor a failure, the run waits at this step for the resume.
  if (error.code === 'connector_paused' && step.kind === 'action') {
    await holdForConnector(deps.db, lease, attempt, stored, step.connector);
    return;
  }
  if (error.retriable && attempt.attempt < step.retry.max_attempts) {
    await scheduleRetry(deps.db, lease, attempt, stored, retryDelay(step.retry, attempt.attempt, error.retryAfterMs));
    return;
  }
  const status = terminalStatusFor(error.code);
  if (status === 'outcome_unknown') await stopUnknown(deps, lease, attempt, stored, run);
  else await endRun(deps.db, lease, attempt, status, { error: stored });
}

/**
 * The run stops in outcome_unknown and a person is asked to reconcile it (src/engine/reconcile.ts).
 * The task is opened first (once per run and step), so a crash in between leaves a task, never a
 * stopped run nobody is asked about; the sweeper wakes the run if its task is decided meanwhile.
 */
async function stopUnknown(deps: ExecutorDeps, lease: Lease, attempt: AttemptFacts, error: StoredError, run: { claimed: RunRow; spec: WorkflowSpec }): Promise<void> {
  const step = run.spec.steps.find((s) => s.id === attempt.stepId);
  if (step?.kind === 'action') await openReconcileTask(deps.db, run.claimed, step, error);
  await endRun(deps.db, lease, attempt, 'outcome_unknown', { error });
}

function crashLoopError(run: RunRow) {
  return {
    code: 'internal' as const, retriable: false,
    message: `Run ${run.id} was claimed ${run.claims} times without finishing; its worker keeps stopping on it.`,
    hint: 'Look at the worker logs for a crash on this run, fix the cause, then start a new run.',
  };
}

/**
 * Races a step against its timeout. The step's signal aborts on timeout and on a lost lease, so an
 * HTTP call in flight is cancelled rather than left running for nobody.
 */
async function withTimeout(run: (signal: AbortSignal) => Promise<StepOutcome>, timeoutMs: number, leaseSignal: AbortSignal): Promise<StepOutcome> {
  const controller = new AbortController();
  const onLeaseLost = () => controller.abort(leaseSignal.reason);
  leaseSignal.addEventListener('abort', onLeaseLost, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new KeelError('step_timeout', `The step did not finish within ${timeoutMs} ms.`, { retriable: true });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    leaseSignal.removeEventListener('abort', onLeaseLost);
  }
}
