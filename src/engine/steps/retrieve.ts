import type { ModelServices } from '../../models/index.js';
import { KeelError } from '../../errors.js';
import { searchDocuments } from '../../prompts/index.js';
import type { RetrieveStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { StepHandler } from './step.js';

/**
 * A retrieve step finds the library documents (policies, definitions, FAQs) relevant to the run:
 * full-text search on both databases, similarity search when an embedding model is configured.
 * The documents found are the step's output, so the run records what the model was shown.
 */
export function createRetrieveStep(services: ModelServices): StepHandler<RetrieveStep> {
  return {
    async execute(step, run) {
      const query = await evaluateJsonata(step.query, run.scope, `steps[${step.id}].query`);
      if (typeof query !== 'string' || query.trim() === '') {
        throw new KeelError('step_failed', `steps[${step.id}].query must give a non-empty string.`, { retriable: false });
      }
      const embed = services.embed ? (texts: string[]) => services.embed!(texts, run.signal) : undefined;
      const documents = await searchDocuments(run.db, { query, limit: step.limit, types: step.types, tags: step.tags, label: step.label, embeddingModel: services.embeddingModel }, embed);
      return { kind: 'completed', output: { query, documents } };
    },
  };
}
