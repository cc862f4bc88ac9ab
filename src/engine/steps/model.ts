import { KeelError } from '../../errors.js';
import type { ModelStep } from '../../spec/index.js';
import type { ModelProvider, StepHandler } from './step.js';

/** Dispatches a model step to the named model; unknown names fail clearly and are not retried. */
export function createModelStep(models: ReadonlyMap<string, ModelProvider>): StepHandler<ModelStep> {
  return {
    async execute(step, run) {
      const model = models.get(step.model);
      if (!model) {
        throw new KeelError('misconfigured', `steps[${step.id}]: no model named "${step.model}" is configured.`, {
          hint: `Configured models: ${[...models.keys()].join(', ')}.`, retriable: false,
        });
      }
      return { kind: 'completed', output: await model.generate({ step, scope: run.scope, signal: run.signal }) };
    },
  };
}
