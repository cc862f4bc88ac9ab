import type { TransformStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { StepHandler } from './step.js';

export const transformStep: StepHandler<TransformStep> = {
  async execute(step, run) {
    return { kind: 'completed', output: await evaluateJsonata(step.expression, run.scope, `steps[${step.id}].expression`) };
  },
};
