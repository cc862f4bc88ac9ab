import { KeelError } from '../../errors.js';
import { loadClassifier, recordModelCall, type ModelCallResult, type ModelServices } from '../../models/index.js';
import type { ClassifyStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { StepHandler, StepOutcome, StepRun } from './step.js';
import { decisionForStep, sendToReview } from './step-review.js';

/** What a classify step outputs, whichever model gave it. */
export interface Classification {
  label: string;
  confidence: number;
  alternatives: Array<{ label: string; confidence: number }>;
  model: string;
  /** The classifier version (`banking77@2`) or the language model's id. */
  modelVersion: string;
}

/**
 * A classify step: a local classifier (trained by Keel, no network) or a language model choosing
 * among `labels`. A label whose confidence is below the step's threshold goes to a person, with the
 * alternatives beside it.
 */
export function createClassifyStep(services: ModelServices): StepHandler<ClassifyStep> {
  return {
    async execute(step, run) {
      const decided = await decisionForStep(step, run);
      if (decided) return decided;
      const text = await evaluateJsonata(step.text, run.scope, `steps[${step.id}].text`);
      if (typeof text !== 'string' || text.trim() === '') {
        throw new KeelError('step_failed', `steps[${step.id}].text must give a non-empty string, got ${text === undefined ? 'nothing' : JSON.stringify(text).slice(0, 80)}.`, { retriable: false });
      }
      const config = services.configs[step.model];
      if (!config) {
        throw new KeelError('misconfigured', `steps[${step.id}]: no model named "${step.model}" is configured.`, {
          retriable: false, hint: `Configured models: ${Object.keys(services.configs).join(', ')}.`,
        });
      }
      let result: Classification | StepOutcome;
      if (config.provider === 'classifier') result = await classifyLocally(step, run, text);
      else if (config.provider === 'template') throw new KeelError('misconfigured', `steps[${step.id}]: ${step.model} renders templates and cannot classify.`, { retriable: false });
      else result = await classifyWithLanguageModel(services, step, run, text);
      if ('kind' in result) return result;
      if (step.min_confidence !== undefined && result.confidence < step.min_confidence) {
        return sendToReview(step, run, {
          reason: 'low_confidence', proposed: result, review: step.review,
          title: step.review.title ?? `Check the label of ${step.id}: ${result.label} at ${result.confidence.toFixed(2)} is below ${step.min_confidence}`,
          context: { text, model: result.model, modelVersion: result.modelVersion, confidence: result.confidence, alternatives: result.alternatives },
        });
      }
      return { kind: 'completed', output: result };
    },
  };
}

async function classifyLocally(step: ClassifyStep, run: StepRun, text: string): Promise<Classification> {
  const started = performance.now();
  const { version, classifier } = await loadClassifier(run.db, step.model);
  const prediction = classifier.predict(text, 3);
  await recordModelCall(run.db, {
    runId: run.lease.runId, stepId: step.id, workflowId: run.workflowId, model: step.model, provider: 'classifier',
    modelId: version.id, responseModel: version.id, purpose: 'classify', attempt: 1, tokensIn: 0, tokensOut: 0, costUsd: 0,
    latencyMs: performance.now() - started, errorClass: null, errorMessage: null, status: null,
  });
  return { ...prediction, model: step.model, modelVersion: version.id };
}

/** A language model picks one of the labels and says how sure it is, as structured output. */
async function classifyWithLanguageModel(services: ModelServices, step: ClassifyStep, run: StepRun, text: string): Promise<Classification | StepOutcome> {
  if (!step.labels) {
    throw new KeelError('misconfigured', `steps[${step.id}]: a language model classifies only among \`labels\`; list them in the step.`, { retriable: false });
  }
  const ids = { runId: run.lease.runId, workflowId: run.workflowId, stepId: step.id };
  const result: ModelCallResult = await services.router.call({
    model: step.model,
    system: 'Classify the text into exactly one of the given labels. Answer with JSON: {"label": <one of the labels>, "confidence": <0..1, how sure you are>}.',
    messages: [{ role: 'user', content: `Labels: ${step.labels.join(', ')}\n\nText:\n${text}` }],
    outputSchema: {
      type: 'object', required: ['label', 'confidence'], additionalProperties: false,
      properties: { label: { enum: step.labels }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
    },
    signal: run.signal,
    onAttempt: async (a) => { await recordModelCall(run.db, { ...ids, ...a }); },
  });
  if (!result.ok) {
    if (result.reason === 'provider_error') throw new KeelError('step_failed', `steps[${step.id}]: ${result.message}`, { retriable: false });
    return sendToReview(step, run, {
      reason: result.reason, proposed: null, review: step.review, title: step.review.title ?? `Label the text of ${step.id}: the model gave no usable label`,
      context: { text, model: step.model, error: result.message, lastAnswer: result.lastText, labels: step.labels },
    });
  }
  const answer = result.output as { label: string; confidence: number };
  const modelVersion = result.attempts.at(-1)?.responseModel ?? services.router.describe(step.model)?.modelId ?? step.model;
  return { label: answer.label, confidence: answer.confidence, alternatives: [], model: result.model, modelVersion };
}
