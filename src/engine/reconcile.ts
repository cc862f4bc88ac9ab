// An `unsafe` action that may or may not have happened is never repeated by Keel: the run stops in
// `outcome_unknown` and a review task (reason outcome_unknown) asks a person to look at the target
// system. Approve: it took effect, the run goes on. Edit: it took effect, with this result. Reject:
// it did not, and the run ends there (start a new one to try again). Nothing repeats it by itself,
// and a task nobody decides ends the run at its deadline.
import type { Db } from '../db/index.js';
import type { StoredError } from '../errors.js';
import { openReview, policyFromSpec } from '../review/index.js';
import type { ActionStep } from '../spec/index.js';
import type { RunRow } from './types.js';

const reconcilePolicy = policyFromSpec({ due: '24h', escalate_to: [], on_deadline: 'reject', quorum: 1, priority: 'high' });

export async function openReconcileTask(db: Db, run: RunRow, step: ActionStep, error: StoredError): Promise<void> {
  await openReview(db, {
    runId: run.id, stepId: step.id, workflowId: run.workflow_id, versionId: run.version_id, stage: run.stage,
    title: `Did ${step.id} (${step.connector}.${step.action}) take effect? Check the target, then reconcile`,
    reason: 'outcome_unknown', proposed: null, requestedBy: null, assignedRole: 'reviewer', policy: reconcilePolicy,
    context: {
      input: run.input, connector: step.connector, action: step.action, delivery: step.delivery, idempotency_key: `${run.id}:${step.id}`, error: error.message,
      how: 'approve if it took effect (the run goes on), edit to give its result, reject if it did not (the run ends)',
    },
  });
}
