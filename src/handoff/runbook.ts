// The runbook and change process of the pack: where each stage points and how it got there, how to
// roll back and when to stop, who to call, when the workflow is next reviewed, and how a change to
// it is made safely and by whom.
import type { Queryable } from '../db/index.js';
import { listDeploymentHistory, stages, type Stage, type WorkflowWithDeployments } from '../registry/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import type { ChangeProcess, ChangeRequestSummary, RunbookSection } from './schemas.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** The UTC calendar day of `now`, as runbook dates are written. */
export function dayOf(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Whether a runbook review date (YYYY-MM-DD) is today or has passed at `now`. */
export function reviewDue(nextReview: string | undefined | null, now: Date): boolean {
  return typeof nextReview === 'string' && nextReview <= dayOf(now);
}

export async function runbookSection(db: Queryable, workflow: WorkflowWithDeployments, spec: WorkflowSpec, stage: Stage, now: Date): Promise<RunbookSection> {
  const history = await listDeploymentHistory(db, workflow.id, 30);
  const r = spec.runbook;
  return {
    deploy_path: stages.map((s) => {
      const d = workflow.deployments.find((x) => x.stage === s);
      return {
        stage: s, version: d?.version_number ?? null, version_id: d?.version_id ?? null, deployed_by: d?.deployed_by ?? null,
        deployed_at: iso(d?.deployed_at ?? null), paused: d?.paused ?? false, pause_reason: d?.pause_reason ?? null,
      };
    }),
    history: history.map((h) => ({
      at: new Date(h.created_at).toISOString(), stage: h.stage, action: h.action, version: h.version_number, previous_version: h.previous_version_number, actor: h.actor,
    })),
    rollback: r?.rollback?.trim() || null,
    rollback_command: `keel rollback ${workflow.id} --stage ${stage}`,
    stop_conditions: r?.stop_conditions ?? [],
    contacts: r?.contacts ?? [],
    next_review: r?.next_review ?? null,
    review_due: reviewDue(r?.next_review, now),
  };
}

/** Who approves a change: the owner first, then runbook.change_approvers, each once. */
export function changeApprovers(spec: WorkflowSpec): string[] {
  return [...new Set([spec.owner, ...(spec.runbook?.change_approvers ?? [])])];
}

export function changeProcess(spec: WorkflowSpec, openRequests: ChangeRequestSummary[] | null): ChangeProcess {
  return {
    approvers: changeApprovers(spec),
    rules: [
      `Changes to prompts, model settings, grants or the approval boundary of the production version need an approved change request before they go live: ask with keel changes request ${spec.id} --version V --reason TEXT; one of the approvers above decides.`,
      `A change is a new version of the workflow file: check it with keel validate, deploy it to a lower stage, and promote it through the gates; the version's own author never signs its gate.`,
      'A prompt change reaches this workflow only through a new workflow version: each version pins the library versions it runs on.',
      'A new scope is asked for with keel access request and decided by the connector\'s owner, never by the one who asked.',
      `If a change goes wrong: keel rollback ${spec.id} --stage production moves production back one version; runs in flight finish on their own version.`,
    ],
    open_change_requests: openRequests,
  };
}
