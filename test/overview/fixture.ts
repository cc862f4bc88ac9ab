// Real runs of a small workflow with a route and a review step, each taken to a known end by the
// engine and by people deciding its review tasks, for the overview and flow tests.
import { createToken, createUser, loadAccess, setWorkflowMember, type Permission, type WorkflowRole } from '../../src/auth/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun, type RunRow, type RunStatus } from '../../src/engine/index.js';
import { decideReview, listReviews, type ReviewRow } from '../../src/review/index.js';
import { oneStepWorkflow, waitForRun } from '../support/harness.js';

/** size -> pick -> (check, a review, when the amount is over 100) -> done; `fail: true` fails at size. */
export const refunds = (title = 'Refunds') => `
id: refunds
title: ${title}
owner: ops@example.com
team: payments
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: size
    kind: transform
    expression: 'input.fail ? $error("no amount") : { "big": input.amount > 100 }'
  - id: pick
    kind: route
    routes:
      - when: 'steps.size.big'
        to: check
    default: done
  - id: check
    kind: review
    title: Check the big one
    next: done
  - id: done
    kind: transform
    expression: '{ "ok": true }'
`;

export const simple = (id: string, extra = '') => oneStepWorkflow(id, { extra });

export type Outcome = 'small' | 'approved' | 'edited' | 'rejected' | 'failed' | 'open';

/** Starts a run of refunds and takes it to `outcome`; returns the run as it ended (or waits) and its review. */
export async function refundRun(db: Db, outcome: Outcome): Promise<{ run: RunRow; review?: ReviewRow }> {
  const input = outcome === 'failed' ? { fail: true } : { amount: outcome === 'small' ? 10 : 500 };
  const { run } = await startRun(db, { workflowId: 'refunds', stage: 'production', trigger: 'manual', input });
  const ends: RunStatus[] = ['succeeded', 'failed', 'rejected', 'canceled'];
  if (outcome === 'small' || outcome === 'failed') return { run: await waitForRun(db, run.id, ends) };
  const waiting = await waitForRun(db, run.id, ['waiting']);
  const [review] = await listReviews(db, { runId: run.id });
  if (outcome === 'open') return { run: waiting, review };
  const decision = outcome === 'approved' ? 'approve' : outcome === 'edited' ? 'edit' : 'reject';
  await decideReview(db, {
    target: { reviewId: review!.id }, decision, actor: 'ana@example.com',
    ...(decision === 'edit' ? { output: { big: true, note: 'checked' } } : {}), ...(decision === 'reject' ? { comment: 'not ours' } : {}),
  }, wakeRun);
  return { run: await waitForRun(db, run.id, ends), review };
}

/** A person holding only `roles` on `workflows`, with a token carrying `scopes` (everything they hold when absent). */
export async function memberOf(db: Db, workflows: Record<string, WorkflowRole[]>, scopes?: Permission[]): Promise<string> {
  const user = await createUser(db, { email: `member-${Math.random().toString(36).slice(2)}@example.com` }, 'test', { minPasswordLength: 12 });
  for (const [workflow, roles] of Object.entries(workflows)) {
    for (const role of roles) await setWorkflowMember(db, workflow, { kind: 'user', member: user.id, role }, true, 'test');
  }
  const access = await loadAccess(db, user.id, { via: 'session' });
  return (await createToken(db, access, { name: 'test', scopes: scopes ?? access.heldPermissions() })).secret;
}
