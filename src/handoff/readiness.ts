// The readiness checklist: one line per thing the handoff standard asks for, each either in place
// or saying exactly what is missing, where, and how to put it right, so the list is also the to-do
// list. It judges the pack's own sections, so what the checklist says and what the pack shows agree.
import type { WorkflowSpec } from '../spec/index.js';
import { ownerRoles, type HandoffPack, type OwnerRole, type ReadinessItem } from './schemas.js';

const roleWords: Record<OwnerRole, string> = {
  quality: 'output quality and the evaluation set',
  access: 'the accounts, tokens and grants',
  approvals: 'the review queue and the approval boundary',
  incidents: 'incidents (called when a monitor fires)',
  scope: 'future scope decisions',
};

type Sections = Omit<HandoffPack, 'readiness'>;

function item(id: string, label: string, missing: string | string[] | null): ReadinessItem {
  const text = Array.isArray(missing) ? (missing.length > 0 ? missing.join('; ') : null) : missing;
  return text ? { id, label, ok: false, missing: text } : { id, label, ok: true };
}

/** The checklist of a pack; `file` names the workflow file in the fix-it texts. */
export function readinessItems(pack: Sections, spec: WorkflowSpec): ReadinessItem[] {
  const file = pack.version.source_name ?? `the workflow file of ${pack.workflow_id}`;
  const unset = (field: string, what: string) => `${field} is not set in ${file}: ${what}`;
  const card = pack.card;
  const metricMissing = !card.metric
    ? unset('metric', 'name the business metric with its baseline and target')
    : [card.metric.baseline === null ? unset('metric.baseline', 'write the value before the workflow') : null,
      card.metric.target === null ? unset('metric.target', 'write the value the workflow should reach') : null].filter((x): x is string => x !== null);
  const hasActions = card.actions.length > 0;
  const monitors = pack.monitoring.monitors;
  const runbook = pack.runbook;
  return [
    item('card.description', 'Workflow card: description', card.description ? null : unset('description', 'say in a sentence or two what the workflow does and for whom')),
    item('card.metric', 'Workflow card: metric with baseline and target', metricMissing),
    item('card.exclusions', 'Workflow card: exclusions listed', card.exclusions.length > 0 ? null : unset('exclusions', 'list the cases the workflow must not decide by itself')),
    item('card.approval', 'Workflow card: approval boundary', !hasActions || spec.approval
      ? null : unset('approval', 'write the rules that decide, before the first action, whether a run acts automatically, goes to review or is escalated')),
    ...ownerRoles.map((role) => item(`owners.${role}`, `Owner map: ${role}`, pack.owners[role]
      ? null : unset(`owners.${role}`, `name the person who owns ${roleWords[role]}`))),
    item('access.grants', 'Access: every listed scope has a live approved grant', accessMissing(pack)),
    item('access.rotation', 'Access: no secret past its rotation date', pack.access.connectors.flatMap((c) => c.secrets.filter((s) => s.rotation_due).map((s) =>
      `secret ${s.name} (version ${s.version}) of connector ${c.id} was due for rotation on ${s.rotate_by?.slice(0, 10) ?? '?'}: ${c.credential_owner ?? c.owner ?? 'its owner'} stores a new value with keel connectors secret ${c.id} ${s.name}`))),
    item('prompts.resolvable', 'Prompts: every pinned prompt resolves', pack.prompts.entries.filter((e) => !e.resolved).map((e) => e.id
      ? `${e.ref} is pinned to ${e.id}, which the library no longer holds: deploy the prompt file again, then redeploy the workflow`
      : `${e.ref} is not pinned by version ${pack.version.number}: deploy the workflow again so its version pins the prompt`)),
    item('failure_modes', 'Prompts: known failure classes documented', spec.failure_modes && spec.failure_modes.length > 0
      ? null : unset('failure_modes', 'write the failure classes found while testing and in sandbox (name, description, mitigation, and the prompt it belongs to)')),
    item('monitors', 'Monitoring: at least one monitor', monitors.length > 0 ? null : unset('runbook.monitors', 'add a monitor (override rate, failure rate, drift or silence)')),
    item('monitors.stop', 'Monitoring: at least one stop condition', monitors.some((m) => m.stop)
      ? null : `no monitor of ${pack.workflow_id} is a stop condition: set stop: true on the runbook.monitors rule that should pause the stage in ${file}`),
    item('runbook.rollback', 'Runbook: rollback', runbook.rollback ? null : unset('runbook.rollback', `say how to roll back (${runbook.rollback_command})`)),
    item('runbook.stop_conditions', 'Runbook: stop conditions', runbook.stop_conditions.length > 0 ? null : unset('runbook.stop_conditions', 'list when people stop the workflow')),
    item('runbook.contacts', 'Runbook: contacts', runbook.contacts.length > 0 ? null : unset('runbook.contacts', 'list who to call')),
    item('runbook.next_review', 'Runbook: next review date', runbook.next_review ? null : unset('runbook.next_review', 'write the date of the next review (YYYY-MM-DD)')),
    item('runbook.review_current', 'Runbook: next review date not passed', runbook.review_due
      ? `runbook.next_review (${runbook.next_review}) has come in ${file}: review the workflow with its owners, then write the next date` : null),
    item('change.approver', 'Change process: an approver named', pack.change_process.approvers.length > 0 ? null : unset('owner', 'name the accountable person')),
  ];
}

function accessMissing(pack: Sections): string[] {
  const out: string[] = [];
  for (const c of pack.access.connectors) {
    if (!c.exists) out.push(`connector ${c.id} does not exist: add connectors/${c.id}.yaml or create it with keel connectors apply`);
  }
  for (const l of pack.access.listed) {
    if (l.live) continue;
    const owner = pack.access.connectors.find((c) => c.id === l.connector)?.owner ?? 'its owner';
    const how = l.grant === 'requested'
      ? `grant ${l.grant_id} waits for ${owner}: keel access approve ${l.grant_id}`
      : l.grant === 'expired' ? `grant ${l.grant_id} expired: ask again with keel access request ${pack.workflow_id} ${l.connector} ${l.scope}, then ${owner} approves`
        : `ask with keel access request ${pack.workflow_id} ${l.connector} ${l.scope}, then ${owner} approves`;
    out.push(`${l.connector} ${l.scope} has no live approved grant (${l.grant}): ${how}`);
  }
  return out;
}
