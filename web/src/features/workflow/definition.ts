// Reading a stored workflow definition (the parsed file) for display. Definitions of old versions
// may predate fields, so every list is read defensively. The step graph rules mirror
// src/spec/graph.ts: the bundle carries none of the server's code, only its types.
import type { Flow, VersionSummary } from '../../lib/api-types';
import type { StepSpec, TriggerSpec, WorkflowSpec } from '../../../../src/spec/index.js';

export type Definition = Partial<WorkflowSpec>;
export type Version = VersionSummary & { definition: Record<string, unknown>; source: string };
export type FlowNode = Flow['nodes'][number];
export type FlowEdge = Flow['edges'][number];

export const END = 'end';
/** The approval boundary's node id in flows (it records its decision as steps.approval). */
export const APPROVAL = 'approval';

export function stepsOf(def: Definition): StepSpec[] {
  return Array.isArray(def.steps) ? def.steps : [];
}

/** Where a step can hand the run to: step ids or `end`; an absent `next` falls through. */
export function successors(steps: readonly StepSpec[], index: number): string[] {
  const step = steps[index];
  if (!step) return [];
  const fallthrough = steps[index + 1]?.id ?? END;
  switch (step.kind) {
    case 'route': return [...step.routes.map((r) => r.to), step.default ?? fallthrough];
    case 'review': return [step.next ?? fallthrough, step.on_reject];
    default: return [step.next ?? fallthrough];
  }
}

export function describeTrigger(t: TriggerSpec): string {
  if ('webhook' in t) return t.webhook.secret ? `webhook, signed with the secret in ${t.webhook.secret.env}` : 'webhook';
  if ('schedule' in t) return `schedule ${t.schedule.cron}${t.schedule.timezone ? ` (${t.schedule.timezone})` : ' (UTC)'}`;
  if ('email' in t) {
    // Versions stored before `start` existed read the whole mailbox from its oldest message.
    const start = (t.email as { start?: string }).start ?? 'all';
    return `new mail in ${t.email.connector} every ${t.email.every}${start === 'all' ? ', read from the mailbox\'s oldest message (start: all)' : ''}`;
  }
  return 'manual (started by a person or through the API)';
}

/** The date a YYYY-MM-DD review is due, compared by calendar day in the reader's time zone. */
export function isPastDate(day: string, now = new Date()): boolean {
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return day < today;
}

/**
 * The moves the file allows, in the shape of a flow answer with no counts: what the graph shows
 * when the server has no flow for the window (or cannot give one). The boundary is judged before
 * the first action a run reaches, so moves into the first action pass through it.
 */
export function declaredFlow(def: Definition): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const steps = stepsOf(def);
  const nodes: FlowNode[] = [{ id: 'trigger', kind: 'trigger', label: 'trigger', runs: 0 }];
  for (const s of steps) nodes.push({ id: s.id, kind: s.kind, label: s.id, runs: 0 });
  const firstAction = steps.find((s) => s.kind === 'action')?.id;
  const raw: [string, string][] = [];
  if (steps[0]) raw.push(['trigger', steps[0].id]);
  else raw.push(['trigger', 'end:succeeded']);
  const endOf = (to: string, status: string) => (to === END ? `end:${status}` : to);
  steps.forEach((s, i) => {
    // A rejected review that ends the run ends it rejected; every other way to `end` succeeds.
    if (s.kind === 'review') raw.push([s.id, endOf(s.next ?? steps[i + 1]?.id ?? END, 'succeeded')], [s.id, endOf(s.on_reject, 'rejected')]);
    else for (const to of successors(steps, i)) raw.push([s.id, endOf(to, 'succeeded')]);
  });
  const edges: FlowEdge[] = [];
  for (const [from, to] of raw) {
    const target = to === firstAction ? APPROVAL : to;
    edges.push({ from, to: target, declared: true, count: 0 });
  }
  if (firstAction) {
    nodes.push({ id: APPROVAL, kind: 'approval', label: 'approval boundary', runs: 0 });
    edges.push({ from: APPROVAL, to: firstAction, declared: true, count: 0 }, { from: APPROVAL, to: 'end:rejected', declared: true, count: 0 });
  }
  for (const e of edges) {
    if (e.to.startsWith('end:') && !nodes.some((n) => n.id === e.to)) nodes.push({ id: e.to, kind: 'end', label: e.to.slice(4), runs: 0 });
  }
  const seen = new Set<string>();
  return { nodes, edges: edges.filter((e) => (seen.has(`${e.from}>${e.to}`) ? false : (seen.add(`${e.from}>${e.to}`), true))) };
}
