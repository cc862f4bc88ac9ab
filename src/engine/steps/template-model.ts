import { Liquid } from 'liquidjs';
import { KeelError } from '../../errors.js';
import type { ModelProvider } from './step.js';

// Strict variables: a template that names a field the input lacks fails instead of rendering blanks.
// LiquidJS templates cannot reach JavaScript globals; only the scope passed in is visible.
const liquid = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });

/**
 * The built-in `template` model: renders the step's template over the run scope. It calls no LLM and
 * says so in its output, so nobody mistakes its text for a model's answer.
 */
export const templateModel: ModelProvider = {
  async generate({ step, scope }) {
    if (step.template === undefined) {
      throw new KeelError('misconfigured', `steps[${step.id}]: the template model needs a template.`, { retriable: false });
    }
    try {
      const text = await liquid.parseAndRender(step.template, scope);
      return { text, model: 'template', note: 'Rendered from a template; no language model was called.' };
    } catch (error) {
      throw new KeelError('step_failed', `steps[${step.id}].template: ${error instanceof Error ? error.message : String(error)}`, {
        retriable: false, cause: error,
      });
    }
  },
};
