// The flow a workflow file declares: trigger -> steps -> end, with the approval gate where the
// engine puts it. The engine inserts the gate before the first action a run reaches (once per run,
// src/engine/executor.ts), so a move into an action goes through the gate when no action can have
// run before it, and straight on when one has; a move that can be either is declared both ways.
import { APPROVAL, END, successors, type StepSpec, type WorkflowSpec } from '../spec/index.js';

export const TRIGGER = 'trigger';

/** The end node of runs that finished with a status: `end:succeeded`, `end:failed`, ... */
export const endNode = (status: string) => `end:${status}`;

export interface DeclaredNode {
  id: string;
  kind: string;
  label: string;
}

export interface DeclaredFlow {
  nodes: DeclaredNode[];
  /** Moves the file allows, as `from -> to` pairs in file order, each once. */
  edges: Array<{ from: string; to: string }>;
}

function label(step: StepSpec): string {
  return 'title' in step && typeof step.title === 'string' ? step.title : step.id;
}

/** Steps reachable from `starts` without passing through an action (actions reached are included, not passed). */
function reachableBeforeAction(steps: readonly StepSpec[], starts: readonly number[]): Set<number> {
  const indexOf = new Map(steps.map((s, i) => [s.id, i] as const));
  const seen = new Set<number>();
  const queue = starts.filter((i) => i < steps.length);
  for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
    if (seen.has(i)) continue;
    seen.add(i);
    if (steps[i]!.kind === 'action') continue;
    for (const next of successors(steps, i)) {
      const j = indexOf.get(next);
      if (j !== undefined && !seen.has(j)) queue.push(j);
    }
  }
  return seen;
}

/** Steps a run can reach after some action has run (the gate is behind it then). */
function reachableAfterAction(steps: readonly StepSpec[]): Set<number> {
  const indexOf = new Map(steps.map((s, i) => [s.id, i] as const));
  const seen = new Set<number>();
  const queue: number[] = [];
  steps.forEach((s, i) => {
    if (s.kind !== 'action') return;
    for (const next of successors(steps, i)) {
      const j = indexOf.get(next);
      if (j !== undefined) queue.push(j);
    }
  });
  for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
    if (seen.has(i)) continue;
    seen.add(i);
    for (const next of successors(steps, i)) {
      const j = indexOf.get(next);
      if (j !== undefined && !seen.has(j)) queue.push(j);
    }
  }
  return seen;
}

/** The declared flow of a version; an undefined spec (no version yet) has only the trigger. */
export function declaredFlow(spec: Pick<WorkflowSpec, 'steps' | 'approval'> | undefined): DeclaredFlow {
  const nodes: DeclaredNode[] = [{ id: TRIGGER, kind: 'trigger', label: 'Trigger' }];
  const edges: DeclaredFlow['edges'] = [];
  const seen = new Set<string>();
  const edge = (from: string, to: string) => {
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ from, to });
  };
  const steps = spec?.steps ?? [];
  const hasAction = steps.some((s) => s.kind === 'action');
  if (spec?.approval || hasAction) nodes.push({ id: APPROVAL, kind: 'approval', label: 'Approval boundary' });
  for (const step of steps) nodes.push({ id: step.id, kind: step.kind, label: label(step) });
  if (steps.length === 0) return { nodes, edges };

  const kindOf = new Map(steps.map((s) => [s.id, s.kind] as const));
  const beforeAction = reachableBeforeAction(steps, [0]);
  const afterAction = reachableAfterAction(steps);
  // from: the step index the move leaves (-1 for the trigger); to: a step id or END; `ending`:
  // the status a run ends with when `to` is END.
  const move = (from: number, to: string, ending = 'succeeded') => {
    const source = from < 0 ? TRIGGER : steps[from]!.id;
    if (to === END) return edge(source, endNode(ending));
    if (kindOf.get(to) !== 'action') return edge(source, to);
    const fromAction = from >= 0 && steps[from]!.kind === 'action';
    const gated = !fromAction && (from < 0 || beforeAction.has(from));
    const direct = fromAction || (from >= 0 && afterAction.has(from));
    if (gated) {
      edge(source, APPROVAL);
      edge(APPROVAL, to);
    }
    if (direct) edge(source, to);
  };
  move(-1, steps[0]!.id);
  steps.forEach((step, i) => {
    if (step.kind !== 'review') {
      for (const to of successors(steps, i)) move(i, to);
      return;
    }
    // A review rejected with nowhere to go ends its run as rejected (src/engine/steps/review.ts).
    const [onward, onReject] = successors(steps, i);
    move(i, onward!);
    move(i, onReject!, 'rejected');
  });
  // A person can reject at the approval boundary too, which ends the run.
  if (hasAction) edge(APPROVAL, endNode('rejected'));
  for (const status of ['succeeded', 'rejected']) {
    if (edges.some((e) => e.to === endNode(status))) nodes.push({ id: endNode(status), kind: 'end', label: status });
  }
  return { nodes, edges };
}
