import { parseDuration, type ReviewPolicySpec } from '../spec/index.js';
import { priorities, type DeadlineOutcome, type Priority } from './types.js';

/** How one task is worked, resolved from the workflow file (or an external request). */
export interface ReviewPolicy {
  /** The SLA of each level, as a duration (`4h`). */
  due: string;
  escalateTo: readonly string[];
  /** The hard deadline from creation; due x (chain length + 1) when absent, so every level gets its SLA. */
  deadline?: string;
  onDeadline: DeadlineOutcome;
  quorum: number;
  priority?: Priority;
}

export function policyFromSpec(spec: ReviewPolicySpec): ReviewPolicy {
  return { due: spec.due, escalateTo: spec.escalate_to, deadline: spec.deadline, onDeadline: spec.on_deadline, quorum: spec.quorum, priority: spec.priority };
}

export interface TaskClock {
  dueAt: Date;
  slaSeconds: number;
  deadlineAt: Date;
}

/** When a task created at `now` escalates and when its deadline falls. */
export function taskClock(policy: ReviewPolicy, now: Date): TaskClock {
  const slaMs = parseDuration(policy.due);
  const deadlineMs = policy.deadline ? parseDuration(policy.deadline) : slaMs * (policy.escalateTo.length + 1);
  return {
    dueAt: new Date(now.getTime() + Math.min(slaMs, deadlineMs)),
    slaSeconds: Math.max(1, Math.round(slaMs / 1000)),
    deadlineAt: new Date(now.getTime() + deadlineMs),
  };
}

/** Queue order: an escalated task is at least high; otherwise the policy's priority, else normal. */
export function priorityNumber(policy: Pick<ReviewPolicy, 'priority'>, escalated: boolean): number {
  const given = priorities.indexOf(policy.priority ?? 'normal');
  return escalated ? Math.max(given, 2) : given;
}
