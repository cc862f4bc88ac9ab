// The step graph: where each step can go next. Loops back to an earlier step are a normal pattern
// (a route retrying a draft, a rejected review going back to it); what is rejected is a loop in
// which every step has only one way on, because such a run can never finish.
import type { PathSegment } from './locate.js';
import type { SpecProblem } from './issues.js';
import type { StepSpec } from './schema.js';

export const END = 'end';

/** Every place a step can hand the run to: step ids or `end`. Absent `next` falls through to the next step. */
export function successors(steps: readonly StepSpec[], index: number): string[] {
  const step = steps[index];
  if (!step) return [];
  const fallthrough = steps[index + 1]?.id ?? END;
  switch (step.kind) {
    case 'route':
      return [...step.routes.map((r) => r.to), step.default ?? fallthrough];
    case 'review':
      return [step.next ?? fallthrough, step.on_reject];
    default:
      return [step.next ?? fallthrough];
  }
}

/** Unreachable steps and inescapable loops. Expects unique ids and references already checked. */
export function graphProblems(steps: readonly StepSpec[]): SpecProblem[] {
  if (steps.length === 0) return [];
  const indexOf = new Map(steps.map((s, i) => [s.id, i] as const));
  const next = steps.map((_, i) => [...new Set(successors(steps, i))]);
  const problems: SpecProblem[] = [];

  const reached = new Set<number>([0]);
  const queue = [0];
  for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
    for (const id of next[i] ?? []) {
      const j = indexOf.get(id);
      if (j !== undefined && !reached.has(j)) {
        reached.add(j);
        queue.push(j);
      }
    }
  }
  steps.forEach((step, i) => {
    if (!reached.has(i)) {
      problems.push({
        path: ['steps', i] satisfies PathSegment[],
        message: `unreachable step "${step.id}": no step leads to it`,
        hint: 'point a `next`, a route `to` or a `default` at it, or remove it',
      });
    }
  });

  // A step with a single way on is "forced"; a cycle made only of forced steps never ends.
  const forced = (i: number) => next[i]?.length === 1 && next[i]?.[0] !== END;
  const reported = new Set<number>();
  for (let start = 0; start < steps.length; start += 1) {
    const walk: number[] = [];
    let i: number | undefined = start;
    while (i !== undefined && forced(i) && !walk.includes(i) && !reported.has(i)) {
      walk.push(i);
      i = indexOf.get(next[i]?.[0] ?? END);
    }
    if (i === undefined || !walk.includes(i)) continue;
    const cycle = walk.slice(walk.indexOf(i));
    cycle.forEach((c) => reported.add(c));
    const first = Math.min(...cycle);
    const names = [...cycle, cycle[0] ?? first].map((c) => steps[c]?.id ?? '?');
    problems.push({
      path: ['steps', first],
      message: `steps loop forever: ${names.join(' -> ')}`,
      hint: 'a loop needs a way out: go back through a route step whose conditions can send the run elsewhere',
    });
  }
  return problems;
}
