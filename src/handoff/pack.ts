// Builds the handoff pack of one workflow at one stage: every section as data, then the readiness
// checklist over those sections. Sections come from the slices that own the data (registry,
// connectors, prompts, observe, review); what other slices add later (open change requests, the
// promotion gate's items) comes in through HandoffDeps, so this slice does not reach for them.
import { listChangeRequests } from '../changes/index.js';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersionById, getWorkflow, stages, type Stage } from '../registry/index.js';
import { accessSection } from './access.js';
import { workflowCard } from './card.js';
import { promptsSection } from './library.js';
import { monitoringView } from './monitoring.js';
import { readinessItems } from './readiness.js';
import { changeProcess, runbookSection } from './runbook.js';
import type { ChangeRequestSummary, HandoffPack, ReadinessItem } from './schemas.js';

/** A pack before its checklist: what an extra item provider judges. */
export type HandoffSections = Omit<HandoffPack, 'readiness'>;

export interface HandoffDeps {
  /**
   * The workflow's open change requests, or null when change requests are not tracked. Absent: the
   * changes slice's open requests (openChangeRequests).
   */
  changes?: (db: Queryable, workflowId: string) => Promise<ChangeRequestSummary[] | null>;
  /** More checklist items, appended after the pack's own (the promotion gate's automatic checks). */
  extraItems?: (pack: HandoffSections, db: Queryable) => Promise<ReadinessItem[]>;
}

export interface HandoffQuery {
  workflowId: string;
  /** The stage described; the highest stage that has a deployment when absent. */
  stage?: string;
  /** The clock the monitoring window, rotation dates and the review date are judged at. */
  now: Date;
}

/** The handoff pack of a workflow: card, owner map, access, prompts, monitoring, runbook, change process, readiness. */
export async function buildHandoffPack(db: Queryable, query: HandoffQuery, deps: HandoffDeps = {}): Promise<HandoffPack> {
  const { now } = query;
  const workflow = await getWorkflow(db, query.workflowId);
  const stage = pickStage(workflow.id, workflow.deployments.map((d) => d.stage), query.stage);
  const deployment = workflow.deployments.find((d) => d.stage === stage)!;
  const version = await getVersionById(db, deployment.version_id);
  const spec = version.definition;
  const card = workflowCard(spec);
  const owners = spec.owners ?? {};
  const sections: HandoffSections = {
    generated_at: now.toISOString(),
    workflow_id: workflow.id,
    stage,
    version: {
      id: version.id, number: version.number, content_hash: version.content_hash, source_name: version.source_name,
      created_by: version.created_by, created_at: new Date(version.created_at).toISOString(),
    },
    card,
    owners: {
      quality: owners.quality ?? null, access: owners.access ?? null, approvals: owners.approvals ?? null,
      incidents: owners.incidents ?? null, scope: owners.scope ?? null,
    },
    access: await accessSection(db, spec, card.systems, now),
    prompts: await promptsSection(db, version),
    monitoring: await monitoringView(db, version, stage, now),
    runbook: await runbookSection(db, workflow, spec, stage, now),
    change_process: changeProcess(spec, await (deps.changes ?? openChangeRequests)(db, workflow.id)),
  };
  const items = [...readinessItems(sections, spec), ...(deps.extraItems ? await deps.extraItems(sections, db) : [])];
  return { ...sections, readiness: { ready: items.filter((i) => i.ok).length, total: items.length, items } };
}

/** The open change requests of the changes slice, as the pack lists them. */
export async function openChangeRequests(db: Queryable, workflowId: string): Promise<ChangeRequestSummary[]> {
  return (await listChangeRequests(db, workflowId, { status: 'open' })).map((r) => ({
    id: r.id, from_version: r.from_version_number, to_version: r.to_version_number, areas: [...r.areas], reason: r.reason,
    status: r.status, requested_by: r.requested_by, requested_at: new Date(r.created_at).toISOString(),
  }));
}

function pickStage(workflowId: string, deployed: readonly Stage[], asked: string | undefined): Stage {
  if (asked !== undefined) {
    if (!(stages as readonly string[]).includes(asked)) {
      throw new KeelError('invalid_input', `"${asked}" is not a stage.`, { problems: [{ path: 'stage', message: `must be one of ${stages.join(', ')}` }] });
    }
    if (!deployed.includes(asked as Stage)) {
      throw new KeelError('not_deployed', `Workflow ${workflowId} has nothing deployed at stage ${asked}.`, {
        hint: deployed.length > 0 ? `It is deployed at ${deployed.join(', ')}.` : `Deploy it first: keel deploy FILE --stage ${asked}.`,
      });
    }
    return asked as Stage;
  }
  const highest = [...stages].reverse().find((s) => deployed.includes(s));
  if (!highest) throw new KeelError('not_deployed', `Workflow ${workflowId} is not deployed at any stage, so it has no pack yet.`, { hint: 'Deploy it first: keel deploy FILE.' });
  return highest;
}
