// How run facts read on the runs pages: step latencies in milliseconds (formatDuration rounds to
// seconds, which hides the difference between a 3 ms transform and a 900 ms model call), exact
// times with milliseconds, and the one "reason" a run has for not being done.
import type { Run } from '../../lib/api-types';
import { formatDuration } from '../../components/ui/Time';

/** Every run status, checked against the server's enum so a new status fails the typecheck here. */
const statusSet = {
  queued: true, running: true, waiting: true, succeeded: true, failed: true, rejected: true, outcome_unknown: true, canceled: true,
} satisfies Record<Run['status'], true>;
export const runStatuses = Object.keys(statusSet) as Run['status'][];

const stageSet = { design: true, testing: true, sandbox: true, production: true } satisfies Record<Run['stage'], true>;
export const stages = Object.keys(stageSet) as Run['stage'][];

/** A run that will not change by itself any more (outcome_unknown waits for a person, so it is not). */
export function isFinished(run: Pick<Run, 'status'>): boolean {
  return run.status === 'succeeded' || run.status === 'failed' || run.status === 'rejected' || run.status === 'canceled';
}

/** Why a run is where it is: what it waits for, or the code it failed with. */
export function runReason(run: Pick<Run, 'wait_reason' | 'error'>): string | undefined {
  return run.wait_reason ?? run.error?.code ?? undefined;
}

/** Milliseconds between two instants; to now when the second is missing (still going). */
export function spanMs(from: string | null | undefined, to: string | null | undefined, now = Date.now()): number | undefined {
  if (!from) return undefined;
  return (to ? new Date(to).getTime() : now) - new Date(from).getTime();
}

/** "35 ms", "1.24 s", then minutes and hours as formatDuration says them. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  return formatDuration(ms);
}

/** A clock time with milliseconds (step attempts are often milliseconds apart); the date when not today. */
export function formatInstant(at: string | null | undefined): string {
  if (!at) return '–';
  const d = new Date(at);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/** Dollars with enough digits that a fraction of a cent still shows. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}
