import { KeelError } from '../../errors.js';
import {
  checkBudget, estimateSpend, findAcceptedAnswer, keepAcceptedAnswer, recordModelCall,
  type ModelAttemptRecord, type ModelCallResult, type ModelServices,
} from '../../models/index.js';
import type { ModelStep } from '../../spec/index.js';
import { preparePrompt, type PreparedPrompt } from './prompt-input.js';
import type { StepHandler, StepOutcome, StepRun } from './step.js';
import { decisionForStep, sendToReview } from './step-review.js';

/**
 * A model step: renders its prompt (pinned library version or inline template), calls the model
 * chain, and acts on the answer only when it is valid and confident enough; otherwise a person
 * decides. An answer already paid for is never asked for again when the run resumes.
 */
export function createModelStep(services: ModelServices): StepHandler<ModelStep> {
  return {
    async execute(step, run) {
      const decided = await decisionForStep(step, run);
      if (decided) return decided;
      const prompt = await preparePrompt(step, run);
      const modelName = step.model ?? prompt.model ?? 'default';
      const config = services.configs[modelName];
      if (config?.provider === 'template') return { kind: 'completed', output: renderedOnly(prompt, modelName) };
      if (!config) {
        throw new KeelError('misconfigured', `steps[${step.id}]: no model named "${modelName}" is configured.`, {
          retriable: false, hint: `Configured models: ${Object.keys(services.configs).join(', ')}. Add it under models: in keel.yaml.`,
        });
      }
      if (config.provider === 'classifier') {
        throw new KeelError('misconfigured', `steps[${step.id}]: ${modelName} is a classifier; use it from a classify step.`, { retriable: false });
      }
      const remembered = await findAcceptedAnswer(run.db, run.lease.runId, step.id);
      const context = { model: modelName, prompt: prompt.ref, promptVersion: prompt.versionId };
      let answer: unknown;
      if (remembered) {
        answer = remembered.answer;
      } else {
        const called = await callModel(services, step, run, prompt, modelName);
        if (called.budget) {
          return sendToReview(step, run, { reason: 'budget_exceeded', title: reviewTitle(step, 'the budget would be exceeded'), proposed: null, context: { ...context, error: called.budget.message }, review: step.review });
        }
        const { result, lastCallId } = called;
        if (!result.ok) return failed(step, run, result, context, prompt.outputSchema);
        // Without a schema the answer is text; it takes the template model's shape so later steps read `.text` either way.
        answer = prompt.outputSchema ? result.output : { text: result.text, model: result.model };
        if (lastCallId !== undefined) await keepAcceptedAnswer(run.db, lastCallId, answer);
        run.faults.hit('after-call', step.id);
      }
      const low = lowConfidence(step.min_confidence ?? prompt.confidenceThreshold, answer);
      if (low) return sendToReview(step, run, { reason: 'low_confidence', title: reviewTitle(step, low), proposed: answer, context: { ...context, confidence: confidenceOf(answer) }, review: step.review, outputSchema: prompt.outputSchema });
      return { kind: 'completed', output: answer };
    },
  };
}

/** Calls the chain, storing every attempt as it ends; a budget refusal comes back as a value, not an error. */
async function callModel(services: ModelServices, step: ModelStep, run: StepRun, prompt: PreparedPrompt, modelName: string) {
  let lastCallId: number | undefined;
  const ids = { runId: run.lease.runId, workflowId: run.workflowId };
  const promptChars = (prompt.system?.length ?? 0) + prompt.messages.reduce((n, m) => n + m.content.length, 0);
  try {
    const result: ModelCallResult = await services.router.call({
      model: modelName, system: prompt.system, messages: prompt.messages, outputSchema: prompt.outputSchema, signal: run.signal,
      parameters: prompt.parameters,
      beforeAttempt: async ({ model }) => {
        const config = services.configs[model];
        if (!config || !('price' in config)) return;
        await checkBudget(run.db, run.budget, ids, estimateSpend(promptChars, prompt.parameters?.maxOutputTokens ?? config.parameters.maxOutputTokens, config.price));
      },
      onAttempt: async (a: ModelAttemptRecord) => {
        lastCallId = await recordModelCall(run.db, { ...ids, stepId: step.id, ...a, purpose: a.purpose, status: a.status });
      },
    });
    return { result, lastCallId, budget: undefined };
  } catch (error) {
    if (error instanceof KeelError && error.code === 'budget_exceeded') return { budget: error, result: undefined, lastCallId };
    throw error;
  }
}

function failed(
  step: ModelStep, run: StepRun, result: Extract<ModelCallResult, { ok: false }>, context: Record<string, unknown>, outputSchema?: Record<string, unknown>,
): Promise<StepOutcome> {
  if (result.reason === 'provider_error' || step.on_failure === 'fail') {
    throw new KeelError('step_failed', `steps[${step.id}]: ${result.message}`, {
      retriable: false, hint: result.reason === 'provider_error' ? 'Check the model configuration and the provider key; the attempts are listed on the run.' : undefined,
    });
  }
  const why = result.reason === 'malformed_output' ? 'the model gave no valid answer' : 'the model did not answer in time';
  return sendToReview(step, run, {
    reason: result.reason, title: reviewTitle(step, why), proposed: null,
    context: { ...context, error: result.message, lastAnswer: result.lastText }, review: step.review, outputSchema,
  });
}

/** The confidence an answer states about itself, when it is an object with a numeric `confidence`. */
function confidenceOf(answer: unknown): number | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const value = (answer as { confidence?: unknown }).confidence;
  return typeof value === 'number' ? value : undefined;
}

function lowConfidence(threshold: number | undefined, answer: unknown): string | undefined {
  if (threshold === undefined) return undefined;
  const confidence = confidenceOf(answer);
  if (confidence === undefined) return 'the answer states no confidence';
  return confidence < threshold ? `confidence ${confidence.toFixed(2)} is below ${threshold}` : undefined;
}

function reviewTitle(step: ModelStep, why: string): string {
  return step.review.title ?? `Check the answer of ${step.id}: ${why}`;
}

/** The template model: the rendered prompt is the output, and it says no model was called. */
function renderedOnly(prompt: PreparedPrompt, modelName: string) {
  // The last message is the rendered template; those before it are the prompt's few-shot examples.
  const text = prompt.messages.at(-1)?.content ?? '';
  return { text, model: modelName, prompt: prompt.ref, promptVersion: prompt.versionId, note: 'Rendered from a template; no language model was called.' };
}
