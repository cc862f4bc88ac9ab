import { KeelError } from '../../errors.js';
import { getLibraryVersionById, renderPrompt, renderTemplate } from '../../prompts/index.js';
import type { ModelStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { StepRun } from './step.js';

/** What a model step sends: the messages, the schema the answer must match, and where they came from. */
export interface PreparedPrompt {
  /** The library reference as written in the workflow (`support/reply@production`), if any. */
  ref?: string;
  /** The exact library version the workflow version pinned. */
  versionId?: string;
  system?: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
  outputSchema?: Record<string, unknown>;
  /** The prompt's own model, used when the step names none. */
  model?: string;
  parameters?: { temperature?: number; maxOutputTokens?: number; topP?: number; seed?: number };
  /** The prompt's own review threshold, used when the step sets no min_confidence. */
  confidenceThreshold?: number;
}

/**
 * Renders the step's prompt over its variables. A library prompt is the version this workflow
 * version pinned at deploy time, never whatever a label points at now.
 */
export async function preparePrompt(step: ModelStep, run: StepRun): Promise<PreparedPrompt> {
  const variables = step.variables === undefined ? run.scope : await evaluateJsonata(step.variables, run.scope, `steps[${step.id}].variables`);
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw new KeelError('step_failed', `steps[${step.id}].variables must give an object of template variables.`, { retriable: false });
  }
  if (step.prompt !== undefined) {
    const versionId = run.library[step.prompt];
    if (!versionId) {
      throw new KeelError('misconfigured', `steps[${step.id}]: this workflow version has no pinned version of ${step.prompt}.`, {
        retriable: false, hint: 'Deploy the workflow again: deploying resolves and pins the prompt versions it uses.',
      });
    }
    const rendered = await renderPrompt(await getLibraryVersionById(run.db, versionId), variables as Record<string, unknown>);
    return { ...rendered, ref: step.prompt, versionId, outputSchema: step.output_schema ?? rendered.outputSchema };
  }
  try {
    // The library's strict LiquidJS: a missing variable is an error, no globals, no files, bounded work.
    const text = await renderTemplate(step.template ?? '', variables as Record<string, unknown>);
    return { messages: [{ role: 'user', content: text }], outputSchema: step.output_schema };
  } catch (error) {
    throw new KeelError('step_failed', `steps[${step.id}].template: ${error instanceof Error ? error.message : String(error)}`, { retriable: false, cause: error });
  }
}
