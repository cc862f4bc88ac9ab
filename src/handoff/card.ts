// The workflow card: what a new owner needs to know about a workflow at a glance, worded from its
// file (trigger, input contract, steps, systems, allowed actions, the approval boundary in words,
// metric, exclusions). Pure: it reads the definition only, so the card and the file cannot disagree.
import type { StepSpec, TriggerSpec, WorkflowSpec } from '../spec/index.js';
import type { WorkflowCard } from './schemas.js';

export function workflowCard(spec: WorkflowSpec): WorkflowCard {
  return {
    title: spec.title, kind: spec.kind, owner: spec.owner, team: spec.team ?? null, risk: spec.risk,
    description: spec.description?.trim() || null,
    triggers: spec.triggers.map((t) => triggerWords(spec.id, t)),
    input_contract: inputContract(spec.input),
    steps: spec.steps.map((s) => ({ id: s.id, kind: s.kind, summary: stepSummary(s) })),
    systems: systemsOf(spec),
    actions: spec.steps.flatMap((s) => (s.kind === 'action' ? [{ step: s.id, connector: s.connector, action: s.action, delivery: s.delivery }] : [])),
    approval_boundary: boundaryWords(spec),
    metric: spec.metric
      ? {
        name: spec.metric.name, unit: spec.metric.unit ?? null, baseline: spec.metric.baseline ?? null, target: spec.metric.target ?? null,
        measure: spec.metric.measure ?? null, per_run: spec.metric.per_run === true,
      }
      : null,
    exclusions: spec.exclusions.map((e) => (typeof e === 'string' ? { name: e, escalated_when: null } : { name: e.name, escalated_when: e.when })),
  };
}

function triggerWords(id: string, t: TriggerSpec): string {
  if ('webhook' in t) {
    return t.webhook.secret
      ? `webhook: POST /hooks/${id}, signed (Standard Webhooks) with the secret named by ${t.webhook.secret.env}`
      : `webhook: POST /hooks/${id}, unsigned (anyone who reaches the server may start a run)`;
  }
  if ('schedule' in t) return `schedule: cron "${t.schedule.cron}" (${t.schedule.timezone ?? 'UTC'})`;
  if ('email' in t) return `email: new mail in the mailbox of connector ${t.email.connector}, read every ${t.email.every} (starts with ${t.email.start} mail)`;
  return `manual: keel run ${id}, or POST /api/workflows/${id}/runs`;
}

type JsonSchema = Record<string, unknown>;

/** One line per top-level field of the input schema, then whether other fields pass. */
function inputContract(schema: JsonSchema | undefined): string[] {
  if (!schema) return ['No input contract: any JSON payload is accepted.'];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  // Required fields first, in the file's order; the stored definition (jsonb) keeps no key order, so the rest go alphabetically.
  const names = [...[...required].filter((n) => n in properties), ...Object.keys(properties).filter((n) => !required.has(n)).sort()];
  const lines = names.map((name) => `${name}: ${fieldWords(properties[name]!)}${required.has(name) ? ', required' : ', optional'}`);
  if (lines.length === 0) lines.push(`A JSON ${typeof schema.type === 'string' ? schema.type : 'value'} with no declared fields.`);
  if (schema.additionalProperties === false) lines.push('No other fields are accepted.');
  return lines;
}

function fieldWords(p: JsonSchema): string {
  if (Array.isArray(p.enum)) return `one of ${p.enum.map(String).join(', ')}`;
  const type = Array.isArray(p.type) ? p.type.join(' or ') : typeof p.type === 'string' ? p.type : 'any value';
  const limits: string[] = [];
  if (typeof p.minLength === 'number') limits.push(`at least ${p.minLength} characters`);
  if (typeof p.maxLength === 'number') limits.push(`at most ${p.maxLength} characters`);
  if (typeof p.minimum === 'number') limits.push(`at least ${p.minimum}`);
  if (typeof p.maximum === 'number') limits.push(`at most ${p.maximum}`);
  if (typeof p.pattern === 'string') limits.push(`matching ${p.pattern}`);
  if (typeof p.format === 'string') limits.push(`format ${p.format}`);
  return limits.length > 0 ? `${type} (${limits.join(', ')})` : type;
}

function stepSummary(s: StepSpec): string {
  const lead = s.description?.trim() ? `${s.description.trim()} ` : '';
  switch (s.kind) {
    case 'transform': return `${lead}(JSONata transform)`.trim();
    case 'route': return `${lead}Routes: ${s.routes.map((r) => `when ${r.when} go to ${r.to}`).join('; ')}${s.default ? `; otherwise ${s.default}` : ''}.`;
    case 'model': {
      const source = s.prompt ? `library prompt ${s.prompt}` : 'an inline template';
      const gate = s.min_confidence !== undefined ? `; confidence below ${s.min_confidence} goes to review` : '';
      return `${lead}Model call with ${source}${s.model ? ` on model ${s.model}` : ''}${gate}.`;
    }
    case 'classify': {
      const gate = s.min_confidence !== undefined ? `; confidence below ${s.min_confidence} goes to review` : '';
      return `${lead}Classifies with model ${s.model}${s.labels ? ` into ${s.labels.length} labels` : ''}${gate}.`;
    }
    case 'retrieve': return `${lead}Retrieves up to ${s.limit} library documents${s.types ? ` of type ${s.types.join(', ')}` : ''} (label ${s.label}).`;
    case 'review': return `${lead}Human review "${s.title}" by ${s.assign?.user ?? s.assign?.role ?? 'reviewer'}, due ${s.due}.`;
    case 'action': return `${lead}Action ${s.connector}.${s.action} (${s.delivery}).`;
  }
}

function systemsOf(spec: WorkflowSpec): WorkflowCard['systems'] {
  const uses = new Map<string, string[]>();
  const add = (connector: string, use: string) => {
    const list = uses.get(connector) ?? [];
    if (!list.includes(use)) list.push(use);
    uses.set(connector, list);
  };
  for (const a of spec.access) for (const scope of a.scopes) add(a.connector, `scope ${scope}`);
  for (const t of spec.triggers) if ('email' in t) add(t.email.connector, 'mail trigger');
  for (const s of spec.steps) if (s.kind === 'action') add(s.connector, `action ${s.action} in step ${s.id}`);
  for (const m of spec.runbook?.monitors ?? []) for (const n of m.notify) add(n.connector, `alert of monitor "${m.name}" (${n.action})`);
  return [...uses].map(([connector, list]) => ({ connector, uses: list }));
}

const decisionWords = { auto: 'act automatically', review: 'send to review', escalate: 'escalate' } as const;
const ruleWords = { auto: 'act automatically', review: 'send to', escalate: 'escalate to' } as const;

/** The boundary as a reader checks it: what is judged, each rule in order, the default, the fail-safes, who reviews. */
export function boundaryWords(spec: WorkflowSpec): string[] {
  const lines: string[] = [];
  for (const s of spec.steps) {
    if ((s.kind === 'model' || s.kind === 'classify') && s.min_confidence !== undefined) {
      lines.push(`Step ${s.id}: an answer with confidence below ${s.min_confidence} goes to ${s.review.user ?? s.review.role ?? 'reviewer'} (due ${s.review.due}).`);
    }
  }
  const hasActions = spec.steps.some((s) => s.kind === 'action');
  const a = spec.approval;
  if (!a) {
    if (hasActions) lines.push(`No approval block: before its first action every run ${spec.risk === 'high' ? 'goes to review (high risk)' : 'acts automatically (the default for low and medium risk)'}.`);
    return lines;
  }
  const reviewRole = a.review.role ?? 'reviewer';
  const escalationRole = a.review.escalate_to[0] ?? 'approver';
  lines.push(`Judged once per run before its first action, on the output of ${a.output ? `step ${a.output}` : 'the last model or classify step'}.`);
  lines.push('In sandbox every output goes to review and no action is executed.');
  for (const e of spec.exclusions) if (typeof e !== 'string') lines.push(`Exclusion "${e.name}": escalated to ${escalationRole} when ${e.when}.`);
  for (const [i, r] of a.rules.entries()) {
    const who = r.then === 'auto' ? '' : ` ${r.role ?? (r.then === 'review' ? reviewRole : escalationRole)} (reason: ${r.reason ?? 'policy'})`;
    lines.push(`Rule ${i + 1}: when ${r.when}, ${ruleWords[r.then]}${who}.`);
  }
  const fallback = a.default ?? (spec.risk === 'high' ? 'review' : 'auto');
  lines.push(`Otherwise: ${decisionWords[fallback]}${a.default ? '' : ' (the default for its risk)'}.`);
  const chain = a.review.escalate_to.length > 0 ? `, then escalate to ${a.review.escalate_to.join(', then ')}` : '';
  const deadline = a.review.deadline ? `; at ${a.review.deadline} the run is ${a.review.on_deadline === 'approve' ? 'approved' : a.review.on_deadline === 'cancel' ? 'canceled' : 'rejected'}` : '';
  lines.push(`Review tasks go to ${reviewRole}, due in ${a.review.due}${chain}${deadline}; ${a.review.quorum} approval${a.review.quorum === 1 ? '' : 's'} needed.`);
  return lines;
}
