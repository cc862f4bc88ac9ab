import type { ModelServices } from '../../models/index.js';
import type { ConnectorRuntimeDeps, EgressClient } from '../../connectors/index.js';
import type { StepKind, StepSpec } from '../../spec/index.js';
import { createActionStep } from './action.js';
import { createClassifyStep } from './classify.js';
import { createHttpAction } from './http-action.js';
import { createModelStep } from './model.js';
import { createRetrieveStep } from './retrieve.js';
import { reviewStep } from './review.js';
import { routeStep } from './route.js';
import type { ActionHandler, StepHandler } from './step.js';
import { transformStep } from './transform.js';

export type { StepHandler, StepRun, StepOutcome, ActionHandler, ActionRequest } from './step.js';

export interface StepPlugins {
  egress: EgressClient;
  models: ModelServices;
  /** Extra actions by name; `http` is always there. */
  actions?: Record<string, ActionHandler>;
  /** Connectors, grants and secrets behind `action` steps that name a connector. */
  connectors?: ConnectorRuntimeDeps;
}

export type StepHandlers = { [K in StepKind]: StepHandler<Extract<StepSpec, { kind: K }>> };

/** One handler per step kind: the executor dispatches on `kind` through this table. */
export function createStepHandlers(plugins: StepPlugins): StepHandlers {
  const actions = new Map<string, ActionHandler>([['http', createHttpAction(plugins.egress)], ...Object.entries(plugins.actions ?? {})]);
  return {
    transform: transformStep,
    route: routeStep,
    review: reviewStep,
    model: createModelStep(plugins.models),
    classify: createClassifyStep(plugins.models),
    retrieve: createRetrieveStep(plugins.models),
    action: createActionStep(actions, plugins.connectors),
  };
}
