// Review-date reminders: one process (the leader) looks at every deployed managed workflow, and
// when the runbook of the version at its highest deployed stage has a next_review that is today or
// has passed, opens an incident saying so, once per workflow and review date (the incident's key
// holds the date, so a moved date reminds again when it comes, and the same date never twice).
// The incident shows on the dashboard and is acknowledged like a monitor's.
import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { createLeaderLoop, openIncident, type IncidentRow, type LeaderLoop } from '../observe/index.js';
import { getVersionById, listWorkflows, stages } from '../registry/index.js';
import { dayOf, reviewDue } from './runbook.js';

const reviewLockKey = 7_346_010;
/** A date changes once a day; a quarter of an hour is soon enough and costs one small query. */
export const defaultReviewTickMs = 15 * 60_000;
const actor = 'keel:review-reminder';

export interface ReviewRemindersOptions {
  db: Db;
  tickMs?: number;
  /** The time dates are judged at; tests run a fake clock. */
  clock?: () => Date;
  onError(message: string, error: unknown): void;
}

export interface ReviewPass {
  checked: number;
  raised: IncidentRow[];
}

export interface ReviewReminders extends LeaderLoop {
  /** One look at every deployed managed workflow. */
  pass(): Promise<ReviewPass>;
}

export function reviewReminderKey(workflowId: string, date: string): string {
  return `review:${workflowId}:${date}`;
}

export function createReviewReminders(options: ReviewRemindersOptions): ReviewReminders {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());

  async function pass(): Promise<ReviewPass> {
    const now = clock();
    const result: ReviewPass = { checked: 0, raised: [] };
    for (const workflow of await listWorkflows(db)) {
      if (workflow.kind !== 'managed') continue;
      const top = [...stages].reverse().map((s) => workflow.deployments.find((d) => d.stage === s)).find((d) => d !== undefined);
      if (!top) continue;
      try {
        const spec = (await getVersionById(db, top.version_id)).definition;
        result.checked += 1;
        const date = spec.runbook?.next_review;
        if (!date || !reviewDue(date, now)) continue;
        const summary = `The review of ${workflow.id} was due on ${date}: review it with its owners (keel handoff ${workflow.id}), then write the next date in runbook.next_review.`;
        const incident = await db.transaction(async (tx) => {
          const opened = await openIncident(tx, {
            key: reviewReminderKey(workflow.id, date), workflowId: workflow.id, name: 'review due', stage: top.stage, summary, actor, now,
            detail: { next_review: date, version: top.version_number, today: dayOf(now) },
          });
          if (opened) {
            await recordAudit(tx, {
              actor, action: 'workflow:review_due', subjectType: 'workflow', subjectId: workflow.id,
              data: { next_review: date, stage: top.stage, version: top.version_id, incident: opened.id },
            });
          }
          return opened;
        });
        if (incident) result.raised.push(incident);
      } catch (error) {
        // One workflow that cannot be read must not keep the others from their reminders.
        options.onError(`review reminder of ${workflow.id} failed`, error);
      }
    }
    return result;
  }

  const loop = createLeaderLoop({ db, lockKey: reviewLockKey, tickMs: options.tickMs ?? defaultReviewTickMs, name: 'review reminders', tick: pass, onError: options.onError });
  return { ...loop, pass };
}
