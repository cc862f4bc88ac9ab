import type { ModelServices } from '../../models/index.js';
import type { ConnectorRuntimeDeps } from '../../connectors/index.js';
import type { StepKind, StepSpec } from '../../spec/index.js';
import { createActionStep } from './action.js';
import { createClassifyStep } from './classify.js';
import { createModelStep } from './model.js';
import { createRetrieveStep } from './retrieve.js';
import { reviewStep } from './review.js';
import { routeStep } from './route.js';
import type { StepHandler } from './step.js';
import { transformStep } from './transform.js';

export type { StepHandler, StepRun, StepOutcome } from './step.js';

export interface StepPlugins {
  models: ModelServices;
  /** Connectors, grants and secrets: the only way an `action` step reaches the outside. */
  connectors: ConnectorRuntimeDeps;
}

export type StepHandlers = { [K in StepKind]: StepHandler<Extract<StepSpec, { kind: K }>> };

/** One handler per step kind: the executor dispatches on `kind` through this table. */
export function createStepHandlers(plugins: StepPlugins): StepHandlers {
  return {
    transform: transformStep,
    route: routeStep,
    review: reviewStep,
    model: createModelStep(plugins.models),
    classify: createClassifyStep(plugins.models),
    retrieve: createRetrieveStep(plugins.models),
    action: createActionStep(plugins.connectors),
  };
}
