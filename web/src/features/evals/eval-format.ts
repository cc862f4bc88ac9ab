// How eval figures read: rates as percents with one decimal (a pass rate of 87.5 % is not 88 %),
// the 95 % interval as a range, and the status words of an eval run.
import type { EvalRun } from '../../lib/api-types';

export function rate(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`;
}

export function interval(i: { low: number; high: number }): string {
  return `${rate(i.low)} – ${rate(i.high)}`;
}

/** 0.857 as "0.857": precision, recall and F1 are read as fractions. */
export function fraction(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3);
}

const statusSet = { running: true, finished: true, failed: true, canceled: true } satisfies Record<EvalRun['status'], true>;
export const evalStatuses = Object.keys(statusSet) as EvalRun['status'][];

const tone: Record<EvalRun['status'], string> = { running: 'busy', finished: 'good', failed: 'bad', canceled: 'plain' };

export function evalTone(status: EvalRun['status']): string {
  return tone[status];
}

export function evalPath(workflowId: string, evalId?: string): string {
  return `/workflows/${encodeURIComponent(workflowId)}/evals${evalId ? `/${encodeURIComponent(evalId)}` : ''}`;
}
