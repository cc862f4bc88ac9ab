// Checks a workflow beyond its shape: references between steps, the step graph, the embedded
// languages (CEL, JSONata, cron, JSON Schema) and the rules that depend on the workflow's kind.
// It works on whatever parts passed the shape check, so one bad step does not hide the others' problems.
import { celProblem, cronProblem, jsonataProblem, jsonSchemaProblems, timezoneProblem } from './expressions.js';
import { END, graphProblems } from './graph.js';
import type { SpecProblem } from './issues.js';
import type { PathSegment } from './locate.js';
import { parseDuration } from './duration.js';
import {
  type ApprovalRule,
  type EmailTrigger,
  type StepSpec,
  type StepReviewSpec,
  type TriggerSpec,
  type WorkflowKind,
  type WorkflowSpec,
} from './schema.js';
import { suggestion } from './suggest.js';

/** The approval boundary's decision is recorded under this step id (steps.approval). */
export const APPROVAL = 'approval';

/** The parts of a workflow the semantic pass looks at; `undefined` marks an item that failed the shape check. */
export interface CheckableWorkflow {
  /** Undefined when the kind itself is invalid: the kind-specific rules are then skipped, not guessed. */
  kind: WorkflowKind | undefined;
  /** Undefined when `triggers` is not a list at all (already reported by the shape check). */
  triggers: (TriggerSpec | undefined)[] | undefined;
  /** The `input` value as written (undefined when absent). */
  input: unknown;
  steps: (StepSpec | undefined)[] | undefined;
  /** False when some steps were parsed only after dropping bad fields: their edges are then unknown. */
  stepsExact: boolean;
  /** Step ids as written, known even for steps that failed the shape check. */
  stepIds: (string | undefined)[] | undefined;
  approvalRules: (ApprovalRule | undefined)[];
  /** CEL conditions of exclusions, by their index in `exclusions`. */
  exclusionConditions: (string | undefined)[];
  /** The step the approval boundary judges, as written. */
  approvalOutput?: string;
}

export function checkableFromSpec(spec: WorkflowSpec): CheckableWorkflow {
  return {
    kind: spec.kind,
    triggers: spec.triggers,
    input: spec.input,
    steps: spec.steps,
    stepsExact: true,
    stepIds: spec.steps.map((s) => s.id),
    approvalRules: spec.approval?.rules ?? [],
    exclusionConditions: spec.exclusions.map((e) => (typeof e === 'string' ? undefined : e.when)),
    approvalOutput: spec.approval?.output,
  };
}

export function checkWorkflow(w: CheckableWorkflow): SpecProblem[] {
  return [
    ...kindProblems(w),
    ...inputProblems(w.input),
    ...(w.triggers ?? []).flatMap((t, i) => (t ? triggerProblems(t, ['triggers', i], w.kind) : [])),
    ...stepProblems(w),
    ...w.approvalRules.flatMap((rule, i) =>
      rule ? expressionProblem('cel', rule.when, ['approval', 'rules', i, 'when']) : [],
    ),
    ...w.exclusionConditions.flatMap((when, i) => (when ? expressionProblem('cel', when, ['exclusions', i, 'when']) : [])),
    ...approvalOutputProblems(w),
  ];
}

/** The boundary judges one step's output: it must be a step of the workflow. */
function approvalOutputProblems(w: CheckableWorkflow): SpecProblem[] {
  const ids = (w.stepIds ?? []).filter((id): id is string => id !== undefined);
  if (w.approvalOutput === undefined || ids.includes(w.approvalOutput)) return [];
  return [{ path: ['approval', 'output'], message: `no step "${w.approvalOutput}"`, hint: suggestion(w.approvalOutput, ids, 'step') }];
}

function kindProblems(w: CheckableWorkflow): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (w.kind === 'external') {
    if (w.stepIds && w.stepIds.length > 0) {
      out.push({
        path: ['steps'],
        message: 'an external workflow must not have steps',
        hint: 'it runs elsewhere and reports to Keel; remove `steps`, or set `kind: managed` to let Keel run it',
      });
    }
    return out;
  }
  if (w.kind === undefined) return out;
  if (w.stepIds?.length === 0) {
    out.push({ path: ['steps'], message: 'a managed workflow needs at least one step', hint: 'add a `steps:` list' });
  }
  if (w.triggers?.length === 0) {
    out.push({
      path: ['triggers'],
      message: 'a managed workflow needs at least one trigger',
      hint: 'add e.g. `triggers: [ { manual: {} } ]`, a webhook or a schedule',
    });
  }
  if (w.input === undefined) {
    out.push({
      path: ['input'],
      message: 'a managed workflow needs an input contract',
      hint: 'add `input:` with a JSON Schema of the event payload, e.g. { type: object }',
    });
  }
  return out;
}

function inputProblems(input: unknown): SpecProblem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [];
  return schemaProblems(input as Record<string, unknown>, ['input']);
}

function schemaProblems(schema: Record<string, unknown>, at: PathSegment[]): SpecProblem[] {
  return jsonSchemaProblems(schema).map((p) => ({
    path: [...at, ...p.path],
    message: p.message,
    hint: 'see https://json-schema.org/understanding-json-schema/ for the keywords',
  }));
}

/** Keel reads the mailbox at most this often (and the connector's server sees one login per read). */
const minimumMailInterval = 5_000;

function emailTriggerProblems(email: EmailTrigger['email'], at: PathSegment[], kind: WorkflowKind | undefined): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (kind === 'external') {
    out.push({ path: at, message: 'an external workflow cannot have an email trigger', hint: 'Keel does not start runs of a workflow that runs elsewhere; read the mailbox there, or set `kind: managed`' });
  }
  let every: number | undefined;
  try {
    every = parseDuration(email.every);
  } catch {
    every = undefined; // the shape check already reported it
  }
  if (every !== undefined && every < minimumMailInterval) {
    out.push({ path: [...at, 'every'], message: `every must be at least 5s (found ${email.every})`, hint: 'the mailbox is read at most every 5 seconds, e.g. every: 30s or 1m' });
  }
  if (email.input !== undefined) {
    const message = jsonataProblem(email.input);
    if (message) {
      out.push({ path: [...at, 'input'], message, hint: 'JSONata over { message }, e.g. { "from": message.from, "subject": message.subject, "text": message.text }; quote the whole expression in YAML' });
    }
  }
  return out;
}

function triggerProblems(trigger: TriggerSpec, at: PathSegment[], kind: WorkflowKind | undefined): SpecProblem[] {
  if ('email' in trigger) return emailTriggerProblems(trigger.email, [...at, 'email'], kind);
  if (!('schedule' in trigger)) return [];
  const out: SpecProblem[] = [];
  const { cron, timezone } = trigger.schedule;
  const cronMessage = cronProblem(cron);
  if (cronMessage) {
    out.push({
      path: [...at, 'schedule', 'cron'],
      message: cronMessage,
      hint: 'five fields: minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"',
    });
  }
  const zoneMessage = timezone === undefined ? undefined : timezoneProblem(timezone);
  if (zoneMessage) {
    out.push({ path: [...at, 'schedule', 'timezone'], message: zoneMessage, hint: 'use an IANA name such as UTC or Europe/Paris' });
  }
  return out;
}

function stepProblems(w: CheckableWorkflow): SpecProblem[] {
  const out: SpecProblem[] = [];
  const steps = w.steps ?? [];
  // The graph is only meaningful when every step is known and every reference names exactly one step.
  let graphSound = w.stepsExact && steps.every((s) => s !== undefined);
  const firstIndex = new Map<string, number>();
  (w.stepIds ?? []).forEach((id, i) => {
    if (id === undefined) return;
    if (id === END || id === APPROVAL) {
      graphSound = false;
      out.push({ path: ['steps', i, 'id'], message: `"${id}" is reserved and cannot be a step id`, hint: id === APPROVAL ? 'the approval boundary records its decision as steps.approval; rename the step' : 'rename the step' });
    }
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, i);
    else {
      graphSound = false;
      out.push({ path: ['steps', i, 'id'], message: `duplicate step id "${id}" (also steps[${first}])`, hint: 'give each step its own id' });
    }
  });
  const known = [...firstIndex.keys()].filter((id) => id !== END);

  const ref = (target: string | undefined, path: PathSegment[]) => {
    if (target === undefined || target === END || firstIndex.has(target)) return;
    graphSound = false;
    const near = suggestion(target, known, 'steps');
    out.push({ path, message: `"${target}" is not a step`, hint: `use a step id or \`end\`${near ? `; ${near}` : ''}` });
  };

  steps.forEach((step, i) => {
    if (!step) return;
    const at: PathSegment[] = ['steps', i];
    ref(step.next, [...at, 'next']);
    out.push(...retryProblems(step, at));
    switch (step.kind) {
      case 'transform':
        out.push(...expressionProblem('jsonata', step.expression, [...at, 'expression']));
        break;
      case 'route':
        if (step.next !== undefined) {
          out.push({ path: [...at, 'next'], message: 'a route step goes on through its routes', hint: 'use `default` for where to go when no route matches' });
        }
        step.routes.forEach((r, j) => {
          out.push(...expressionProblem('cel', r.when, [...at, 'routes', j, 'when']));
          ref(r.to, [...at, 'routes', j, 'to']);
        });
        ref(step.default, [...at, 'default']);
        break;
      case 'model':
        if (step.template !== undefined && step.prompt !== undefined) {
          out.push({ path: [...at, 'template'], message: 'a model step takes a `prompt` or a `template`, not both', hint: 'keep the library prompt and remove the inline template, or the other way round' });
        } else if (step.template === undefined && step.prompt === undefined) {
          out.push({ path: [...at, 'prompt'], message: 'a model step needs a `prompt` or a `template`', hint: 'name a prompt from the instruction library, or write a template' });
        }
        if (step.variables !== undefined) out.push(...expressionProblem('jsonata', step.variables, [...at, 'variables']));
        if (step.output_schema) out.push(...schemaProblems(step.output_schema, [...at, 'output_schema']));
        out.push(...stepReviewProblems(step.review, [...at, 'review']));
        break;
      case 'classify':
        out.push(...expressionProblem('jsonata', step.text, [...at, 'text']));
        out.push(...stepReviewProblems(step.review, [...at, 'review']));
        break;
      case 'retrieve':
        out.push(...expressionProblem('jsonata', step.query, [...at, 'query']));
        break;
      case 'review':
        if (step.show !== undefined) out.push(...expressionProblem('jsonata', step.show, [...at, 'show']));
        if (step.assign && (step.assign.role === undefined) === (step.assign.user === undefined)) {
          out.push({ path: [...at, 'assign'], message: 'assign exactly one of `role` or `user`', hint: 'e.g. assign: { role: reviewer }' });
        }
        ref(step.on_reject, [...at, 'on_reject']);
        break;
      case 'action':
        for (const [field, value] of Object.entries(step.with)) {
          if (typeof value === 'string') out.push(...expressionProblem('jsonata', value, [...at, 'with', field]));
        }
        break;
    }
  });

  if (graphSound) out.push(...graphProblems(steps.filter((s) => s !== undefined)));
  return out;
}

function stepReviewProblems(review: StepReviewSpec, at: PathSegment[]): SpecProblem[] {
  if (review.role !== undefined && review.user !== undefined) {
    return [{ path: at, message: 'name a `role` or a `user` for the review, not both', hint: 'e.g. review: { role: reviewer, due: 4h }' }];
  }
  return [];
}

function retryProblems(step: StepSpec, at: PathSegment[]): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (parseDuration(step.timeout) === 0) {
    out.push({ path: [...at, 'timeout'], message: 'timeout must be longer than 0', hint: 'e.g. 30s' });
  }
  if (parseDuration(step.retry.max_backoff) < parseDuration(step.retry.backoff)) {
    out.push({ path: [...at, 'retry', 'max_backoff'], message: 'max_backoff is shorter than backoff', hint: 'make max_backoff at least as long as backoff' });
  }
  return out;
}

function expressionProblem(language: 'cel' | 'jsonata', expr: string, path: PathSegment[]): SpecProblem[] {
  const message = language === 'cel' ? celProblem(expr) : jsonataProblem(expr);
  if (!message) return [];
  const hint =
    language === 'cel'
      ? 'CEL, e.g. steps.classify.priority == "urgent"; quote the whole expression in YAML'
      : 'JSONata, e.g. { "reply": steps.draft.text }; quote the whole expression in YAML';
  return [{ path, message, hint }];
}
