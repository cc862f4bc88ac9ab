import type { RouteStep } from '../../spec/index.js';
import { evaluateCondition } from '../expressions.js';
import type { StepHandler } from './step.js';

/** The first route whose CEL condition holds picks the next step; its index is kept for the trace. */
export const routeStep: StepHandler<RouteStep> = {
  async execute(step, run) {
    for (const [index, route] of step.routes.entries()) {
      if (evaluateCondition(route.when, run.scope, `steps[${step.id}].routes[${index}].when`)) {
        return { kind: 'completed', output: { route: index, to: route.to }, next: route.to };
      }
    }
    return { kind: 'completed', output: { route: null, to: step.default ?? null }, next: step.default };
  },
};
