// A run as a person reads it in a terminal: one line per step attempt, the run's header, and
// following a run (polling) until it ends or waits for someone.
import { seg, type ApiClient } from './api-client.js';
import type { Attempt, Review, Run, RunDetail, RunStatus } from './api-types.js';
import { exitCodes } from './command.js';
import { duration, fold, table, time, type Io } from './output.js';

export const followPollMs = 300;

const failedStatuses: readonly RunStatus[] = ['failed', 'rejected', 'outcome_unknown', 'canceled'];

/** Whether the run will not move without someone: it ended, or waits for a review or a reconciliation. */
export function isSettled(run: Run): boolean {
  if (run.status === 'succeeded' || failedStatuses.includes(run.status)) return true;
  // A retry back-off is a wait that ends by itself, so following goes on through it.
  return run.status === 'waiting' && run.wait_reason !== 'retry';
}

/** 0 when the run succeeded or waits for a person, 4 when it failed, was rejected, canceled or its outcome is unknown. */
export function runExitCode(run: Run): number {
  return failedStatuses.includes(run.status) ? exitCodes.runFailed : exitCodes.ok;
}

function pendingReview(attempt: Attempt, reviews: Review[]): Review | undefined {
  return reviews.find((r) => r.step_id === attempt.step_id && r.status === 'pending');
}

/** `step classify  succeeded  12 ms`, or the review a waiting step needs and the command to decide it. */
export function attemptLine(attempt: Attempt, reviews: Review[]): string {
  const name = `step ${attempt.step_id}${attempt.attempt > 1 ? ` #${attempt.attempt}` : ''}`;
  if (attempt.status === 'waiting') {
    const review = pendingReview(attempt, reviews);
    return review ? `${name}  waiting for review ${review.id}  (keel review approve ${review.id})` : `${name}  waiting`;
  }
  const took = duration(attempt.started_at, attempt.finished_at);
  const error = attempt.error ? `  ${attempt.error.code}: ${attempt.error.message}` : '';
  return [name, attempt.status, took].filter(Boolean).join('  ') + error;
}

/** One line saying where the run stands, with what to do next when it waits. */
export function runSummary(detail: RunDetail): string[] {
  const { run } = detail;
  const lines: string[] = [];
  if (run.status === 'waiting' && run.wait_reason === 'review') {
    const review = detail.reviews.find((r) => r.status === 'pending');
    lines.push(review
      ? `run ${run.id} is waiting for review ${review.id}  (keel review approve ${review.id}, or reject)`
      : `run ${run.id} is waiting for a review`);
  } else if (run.status === 'waiting') {
    lines.push(`run ${run.id} is waiting (${run.wait_reason ?? 'unknown reason'}) at step ${run.current_step ?? '?'}`);
  } else if (run.status === 'outcome_unknown') {
    lines.push(`run ${run.id}: outcome unknown at step ${run.current_step ?? '?'}; a person must check the target system and reconcile it`);
  } else {
    lines.push(`run ${run.id} ${run.status}`);
  }
  if (run.status === 'succeeded' && run.output !== null && run.output !== undefined) lines.push(`output: ${fold(run.output)}`);
  if (run.error) {
    lines.push(`error: ${run.error.code}: ${run.error.message}`);
    if (run.error.hint) lines.push(`hint: ${run.error.hint}`);
  }
  return lines;
}

export async function getRunDetail(api: ApiClient, runId: string): Promise<RunDetail> {
  return api.get<RunDetail>(`/api/runs/${seg(runId)}`);
}

/**
 * Polls the run every 300 ms until it is settled, printing each attempt once it has a result
 * (and again if its status changes, as a review step's does when decided) when `print` is set.
 */
export async function followRun(api: ApiClient, runId: string, io: Io, print: boolean): Promise<RunDetail> {
  const shown = new Set<string>();
  for (;;) {
    const detail = await getRunDetail(api, runId);
    if (print) {
      for (const attempt of detail.attempts) {
        const key = `${attempt.id}:${attempt.status}`;
        if (attempt.status === 'running' || shown.has(key)) continue;
        // A waiting step is shown once its review exists, so the line can name it.
        if (attempt.status === 'waiting' && !pendingReview(attempt, detail.reviews) && !isSettled(detail.run)) continue;
        shown.add(key);
        io.out(attemptLine(attempt, detail.reviews));
      }
    }
    if (isSettled(detail.run)) return detail;
    await new Promise((resolve) => setTimeout(resolve, followPollMs));
  }
}

/** The whole run: header, every attempt with its output or error, and its reviews. */
export function renderRun(detail: RunDetail, io: Io): void {
  const { run } = detail;
  const status = run.wait_reason ? `${run.status} (${run.wait_reason})` : run.status;
  io.out(`run ${run.id}`);
  io.out(`  workflow  ${run.workflow_id}  stage ${run.stage}  version ${run.version_id}`);
  io.out(`  status    ${status}${run.current_step ? `  at step ${run.current_step}` : ''}`);
  io.out(`  trigger   ${run.trigger_kind}  created ${time(run.created_at)}` +
    (run.finished_at ? `  finished ${time(run.finished_at)}  took ${duration(run.started_at ?? run.created_at, run.finished_at)}` : ''));
  io.out(`  input     ${fold(run.input)}`);
  if (run.output !== null && run.output !== undefined) io.out(`  output    ${fold(run.output)}`);
  if (run.error) {
    io.out(`  error     ${run.error.code}: ${run.error.message}`);
    if (run.error.hint) io.out(`  hint      ${run.error.hint}`);
  }
  io.out('');
  if (detail.attempts.length === 0) io.out('no step has started yet');
  for (const attempt of detail.attempts) {
    io.out(attemptLine(attempt, detail.reviews));
    io.out(`  kind ${attempt.kind}  started ${time(attempt.started_at)}` +
      (attempt.delivery ? `  delivery ${attempt.delivery}` : '') + (attempt.effect ? `  effect ${attempt.effect}` : '') +
      (attempt.next_step ? `  next ${attempt.next_step}` : ''));
    if (attempt.output !== null && attempt.output !== undefined) io.out(`  output ${fold(attempt.output)}`);
    if (attempt.error?.hint) io.out(`  hint ${attempt.error.hint}`);
  }
  if (detail.model_calls.length > 0) {
    io.out('');
    const cost = detail.model_calls.reduce((sum, c) => sum + c.cost_usd, 0);
    const tokens = detail.model_calls.reduce((sum, c) => sum + c.tokens_in + c.tokens_out, 0);
    io.out(`model calls: ${detail.model_calls.length}, ${tokens} tokens, $${cost.toFixed(6)}`);
    const rows = detail.model_calls.map((c) => [
      c.step_id, `${c.model} (${c.provider})`, c.response_model ?? c.model_id, c.purpose, `${c.tokens_in}/${c.tokens_out}`,
      `$${c.cost_usd.toFixed(6)}`, `${Math.round(c.latency_ms)} ms`, c.error_class ? `${c.error_class}${c.http_status ? ` ${c.http_status}` : ''}` : 'ok',
    ]);
    for (const line of table(['STEP', 'MODEL', 'VERSION', 'PURPOSE', 'TOKENS IN/OUT', 'COST', 'LATENCY', 'RESULT'], rows)) io.out(`  ${line}`);
  }
  for (const review of detail.reviews) {
    io.out('');
    io.out(`review ${review.id}  ${review.status}  step ${review.step_id}` + (review.reason === 'manual' ? '' : `  reason ${review.reason}`) +
      (review.decided_by ? `  by ${review.decided_by}` : '') + (review.status === 'pending' ? `  (keel review show ${review.id})` : ''));
  }
}
