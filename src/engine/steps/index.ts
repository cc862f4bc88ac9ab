import type { EgressClient } from '../../connectors/index.js';
import type { StepKind, StepSpec } from '../../spec/index.js';
import { createActionStep } from './action.js';
import { createHttpAction } from './http-action.js';
import { createModelStep } from './model.js';
import { reviewStep } from './review.js';
import { routeStep } from './route.js';
import type { ActionHandler, ModelProvider, StepHandler } from './step.js';
import { templateModel } from './template-model.js';
import { transformStep } from './transform.js';

export type { StepHandler, StepRun, StepOutcome, ModelProvider, ActionHandler, ActionRequest } from './step.js';

export interface StepPlugins {
  egress: EgressClient;
  /** Extra models by name; `template` is always there. */
  models?: Record<string, ModelProvider>;
  /** Extra actions by name; `http` is always there. */
  actions?: Record<string, ActionHandler>;
}

export type StepHandlers = { [K in StepKind]: StepHandler<Extract<StepSpec, { kind: K }>> };

/** One handler per step kind: the executor dispatches on `kind` through this table. */
export function createStepHandlers(plugins: StepPlugins): StepHandlers {
  const models = new Map<string, ModelProvider>([['template', templateModel], ...Object.entries(plugins.models ?? {})]);
  const actions = new Map<string, ActionHandler>([['http', createHttpAction(plugins.egress)], ...Object.entries(plugins.actions ?? {})]);
  return {
    transform: transformStep,
    route: routeStep,
    review: reviewStep,
    model: createModelStep(models),
    action: createActionStep(actions),
  };
}
