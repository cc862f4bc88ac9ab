// The shape of a workflow file. Every object is strict so a misspelt key is an error instead of a
// silently ignored setting; defaults live here so every consumer sees the same filled-in spec.
import { z } from 'zod';
import { evalsSchema } from './evals-schema.js';
import { failureModeSchema, gatesSchema, ownerMapSchema } from './governance-schema.js';
import { metricSchema } from './metric-schema.js';
import { monitorSchema } from './monitor-schema.js';

export { metricMeasures, metricTimeUnits, metricSchema } from './metric-schema.js';
import { duration, durationPattern, nonEmpty } from './primitives.js';

export { durationPattern };

export const workflowIdPattern = /^[a-z][a-z0-9-]{1,62}$/;
export const stepIdPattern = /^[a-z][a-z0-9_-]*$/;
export const envNamePattern = /^[A-Z][A-Z0-9_]*$/;


/** A step id or the word `end`; existence is checked by the semantic pass, which can name the step. */
const stepRef = () => nonEmpty().describe('A step id, or `end` to finish the run');

/** A JSON Schema document; its validity is checked by the semantic pass (ajv), not by zod. */
export const jsonSchemaObject = z.record(z.string(), z.unknown());

// ---- triggers --------------------------------------------------------------------------------

export const secretRefSchema = z
  .object({
    env: z.string().regex(envNamePattern, {
      error: 'must be the NAME of an environment variable (upper case, digits, underscores)',
    }),
  })
  .strict()
  .describe('A reference to an environment variable holding the secret; never the secret itself');

export const webhookTriggerSchema = z
  .object({ webhook: z.object({ secret: secretRefSchema.optional() }).strict() })
  .strict();

export const scheduleTriggerSchema = z
  .object({
    schedule: z
      .object({
        cron: nonEmpty().describe('A cron expression, e.g. "*/5 * * * *"'),
        timezone: nonEmpty().optional().describe('An IANA time zone; UTC when absent'),
        input: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();

export const manualTriggerSchema = z.object({ manual: z.object({}).strict() }).strict();

/** New mail in an email connector's mailbox (IMAP); each message starts one run. */
export const emailTriggerSchema = z
  .object({
    email: z
      .object({
        connector: nonEmpty().describe('The email connector whose mailbox is read (connectors/*.yaml); the workflow needs a grant of email:read on it'),
        input: nonEmpty().optional().describe('JSONata over { message } giving the run input; the fetched message itself when absent'),
        every: duration().default('30s').describe('How often the mailbox is read; at least 5s'),
        start: z
          .enum(['new', 'all'])
          .default('new')
          .describe('Where a new trigger starts: `new` runs only mail that arrives after its first read of the mailbox; `all` also runs the mail already there, oldest first'),
      })
      .strict(),
  })
  .strict();

export const triggerSchema = z.union([webhookTriggerSchema, scheduleTriggerSchema, manualTriggerSchema, emailTriggerSchema]);

// ---- steps -----------------------------------------------------------------------------------

export const retrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(20).default(3),
    backoff: duration().default('1s'),
    max_backoff: duration().default('5m'),
  })
  .strict();

/** Fields every step kind shares. */
const common = {
  id: z.string().regex(stepIdPattern, {
    error: 'must start with a lower-case letter and use only a-z, 0-9, _ and -',
  }),
  next: stepRef().optional(),
  timeout: duration().default('30s'),
  retry: retrySchema.prefault({}),
  description: z.string().optional(),
};

export const transformStepSchema = z
  .object({
    ...common,
    kind: z.literal('transform'),
    expression: nonEmpty().describe('JSONata over { input, steps, run }'),
  })
  .strict();

export const routeSchema = z
  .object({ when: nonEmpty().describe('CEL over { input, steps, run }'), to: stepRef() })
  .strict();

export const routeStepSchema = z
  .object({
    ...common,
    kind: z.literal('route'),
    routes: z.array(routeSchema).min(1, { error: 'a route step needs at least one route' }),
    default: stepRef().optional().describe('Where to go when no route matches; the next step when absent'),
  })
  .strict();

export const reviewRoles = () => nonEmpty().describe('A role: reviewer, approver, admin, owner, or a team name');
export const deadlineOutcomes = ['reject', 'cancel', 'approve'] as const;
export const reviewPriorities = ['low', 'normal', 'high', 'urgent'] as const;

/**
 * How a review task is worked: who gets it, the SLA each level of the escalation chain has, the
 * hard deadline and what happens then, and how many distinct people must approve.
 */
const reviewPolicy = {
  due: duration().default('24h').describe('The SLA: past it the task escalates to the next role in `escalate_to`'),
  escalate_to: z.array(reviewRoles()).default([]).describe('The escalation chain after the assigned role, in order'),
  deadline: duration().optional().describe('The hard deadline (from creation); `on_deadline` applies then. Default: due x (chain length + 1)'),
  on_deadline: z.enum(deadlineOutcomes).default('reject').describe('reject or cancel the run; approve only if you mean it'),
  quorum: z.number().int().min(1).max(10).default(1).describe('Distinct people who must approve'),
  priority: z.enum(reviewPriorities).optional().describe('Queue order; escalations are high by default'),
};

/** Where a model or classify step sends an answer it cannot act on (low confidence, malformed, none). */
export const stepReviewSchema = z
  .object({
    role: nonEmpty().optional(),
    user: nonEmpty().optional(),
    title: nonEmpty().optional(),
    ...reviewPolicy,
  })
  .strict()
  .describe('Who reviews an answer the step cannot use by itself, and by when');

/** A reference to an entry of the instruction library: `name`, `name@label` or `name@3`. */
export const libraryRefPattern = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*(@([a-z][a-z0-9_-]*|[1-9][0-9]*))?$/;
const libraryRef = () =>
  z.string().regex(libraryRefPattern, { error: 'must be a library name such as support/reply, optionally with @label or @version' });

export const modelStepSchema = z
  .object({
    ...common,
    kind: z.literal('model'),
    model: nonEmpty().optional().describe("Name of a model configuration; the prompt's model, else `default`"),
    prompt: libraryRef().optional().describe('Prompt from the instruction library: name, name@label or name@version'),
    template: z.string().optional().describe('Inline LiquidJS template, for a step without a library prompt'),
    variables: nonEmpty().optional().describe('JSONata over { input, steps, run } giving the template variables; the whole scope when absent'),
    output_schema: jsonSchemaObject.optional().describe("JSON Schema the answer must match; overrides the prompt's"),
    min_confidence: z.number().min(0).max(1).optional().describe('Answers whose `confidence` is below this go to review (low_confidence)'),
    on_failure: z.enum(['review', 'fail']).default('review').describe('What a malformed answer or no answer does once every fallback failed'),
    review: stepReviewSchema.prefault({}),
  })
  .strict();

export const classifyStepSchema = z
  .object({
    ...common,
    kind: z.literal('classify'),
    model: nonEmpty().describe('A classifier model, or a language model given `labels`'),
    text: nonEmpty().describe('JSONata over { input, steps, run } giving the text to classify'),
    labels: z.array(nonEmpty()).min(2).optional().describe('The labels a language model chooses from'),
    min_confidence: z.number().min(0).max(1).optional().describe('Labels whose confidence is below this go to review (low_confidence)'),
    review: stepReviewSchema.prefault({}),
  })
  .strict();

export const retrieveStepSchema = z
  .object({
    ...common,
    kind: z.literal('retrieve'),
    query: nonEmpty().describe('JSONata over { input, steps, run } giving the search text'),
    limit: z.number().int().min(1).max(20).default(3),
    types: z.array(z.enum(['policy', 'definition', 'faq', 'other'])).optional().describe('Only documents of these types'),
    tags: z.array(nonEmpty()).optional().describe('Only documents carrying one of these tags'),
    label: z.string().regex(/^[a-z][a-z0-9_-]*$/).default('production').describe('Which label of each document is searched'),
  })
  .strict();

export const assignSchema = z
  .object({ role: nonEmpty().optional(), user: nonEmpty().optional() })
  .strict()
  .describe('Who the review goes to: exactly one of role or user');

export const reviewStepSchema = z
  .object({
    ...common,
    kind: z.literal('review'),
    title: nonEmpty(),
    show: nonEmpty().optional().describe("JSONata; what the reviewer sees (the previous step's output when absent)"),
    assign: assignSchema.optional(),
    on_reject: stepRef().default('end'),
    ...reviewPolicy,
  })
  .strict();

export const deliveryClasses = ['idempotent', 'check-then-act', 'unsafe'] as const;

export const actionStepSchema = z
  .object({
    ...common,
    kind: z.literal('action'),
    connector: nonEmpty().describe('The connector whose action this is (connectors/*.yaml); every call needs a live grant of the action\'s scope, listed under `access`'),
    action: nonEmpty().describe('The connector\'s action (e.g. send, write, post)'),
    with: z.record(z.string(), z.unknown()).default({}).describe('The action\'s input; each string is a JSONata expression over input, steps and run'),
    delivery: z.enum(deliveryClasses).describe('Must match the connector action\'s own class (checked at every call)'),
  })
  .strict();

export const stepKinds = ['transform', 'route', 'model', 'classify', 'retrieve', 'review', 'action'] as const;

export const stepSchema = z.discriminatedUnion('kind', [
  transformStepSchema,
  routeStepSchema,
  modelStepSchema,
  classifyStepSchema,
  retrieveStepSchema,
  reviewStepSchema,
  actionStepSchema,
]);

// ---- the rest of the file --------------------------------------------------------------------

export const approvalDecisions = ['auto', 'review', 'escalate'] as const;
/** The reasons a rule may give; the boundary's own fail-safes use sandbox, risk and policy. */
export const approvalReasons = ['low_confidence', 'policy', 'risk', 'sandbox', 'manual'] as const;

export const approvalRuleSchema = z
  .object({
    when: nonEmpty().describe('CEL over output, confidence, risk, stage, exclusions, flags, input, steps, run'),
    then: z.enum(approvalDecisions),
    role: nonEmpty().optional().describe('Who reviews (review: reviewer by default) or gets the escalation (escalate: approver by default)'),
    reason: z.enum(approvalReasons).optional().describe('Shown on the task; policy by default'),
  })
  .strict();

export const approvalSchema = z
  .object({
    output: stepRef().optional().describe('The step whose output the boundary judges; the last model or classify step before the first action when absent'),
    default: z.enum(approvalDecisions).optional().describe('When no rule matches: auto for low and medium risk, review for high (never auto unless written here)'),
    rules: z.array(approvalRuleSchema).default([]),
    review: z.object({ role: nonEmpty().optional(), title: nonEmpty().optional(), ...reviewPolicy }).strict().prefault({})
      .describe('How the boundary\'s review tasks are worked'),
    output_schema: jsonSchemaObject.optional().describe("JSON Schema an edited output must match; the judged model step's own when absent"),
  })
  .strict()
  .describe('The approval boundary, judged once per run before its first action: auto, review or escalate');

/** An exclusion: a case the workflow must not decide by itself. With `when` (CEL), a match is escalated. */
export const exclusionSchema = z.union([
  z.string().min(1),
  z.object({ name: nonEmpty(), when: nonEmpty().describe('CEL over output, input, steps, run') }).strict(),
]);

export const accessSchema = z
  .object({ connector: nonEmpty(), scopes: z.array(nonEmpty()).min(1, { error: 'list at least one scope' }) })
  .strict();

export const runbookSchema = z
  .object({
    rollback: z.string().optional(),
    stop_conditions: z.array(z.string()).optional(),
    monitors: z.array(monitorSchema).default([]).describe('Rules Keel evaluates on a schedule; `stop: true` makes one a stop condition'),
    contacts: z.array(z.string()).optional(),
    // The loader reads YAML 1.2 (core schema), so an unquoted 2027-03-01 arrives as a string.
    next_review: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date written YYYY-MM-DD' })
      .optional(),
    change_approvers: z.array(nonEmpty()).optional()
      .describe('Who approves a change request to the production version besides the owner (people, by email or user name)'),
  })
  .strict();

const spendLimit = () =>
  z
    .object({
      tokens: z.number().int().min(1).optional().describe('Input plus output tokens'),
      cost: z.number().min(0).optional().describe('US dollars, from the configured model prices'),
    })
    .strict();

export const budgetSchema = z
  .object({
    per_run: spendLimit().optional(),
    per_day: spendLimit().optional().describe('Per UTC day, over every run of the workflow'),
  })
  .strict()
  .describe('Caps on model spending; a run that would pass one stops and goes to review');

/**
 * What pausing the workflow's stage does (a person with `keel pause`, or a monitor's stop condition).
 * Absent from the file: the defaults below (read through pausePolicy in pause-policy.ts, so versions
 * stored before this setting existed pause the same way).
 */
export const onPauseSchema = z
  .object({
    triggers: z
      .enum(['refuse', 'queue'])
      .default('refuse')
      .describe('New webhook and manual triggers while paused: `refuse` answers 503 with Retry-After (the sender tries again later); `queue` accepts them (input contract still checked) and holds their runs until the resume. Schedules and email triggers never fire while paused, in either mode'),
    in_flight: z
      .enum(['finish', 'wait'])
      .default('finish')
      .describe('Runs already started: `finish` lets them go on; `wait` holds them where they are at once (a step in progress is done again after the resume; an action in progress follows its delivery class, as after a crash)'),
  })
  .strict()
  .describe('What pausing a stage does to new triggers and to runs in flight; an owner resumes it');

export const workflowKinds = ['managed', 'external'] as const;
export const riskLevels = ['low', 'medium', 'high'] as const;

export const workflowSchema = z
  .object({
    id: z.string().regex(workflowIdPattern, {
      error: 'must be 2-63 characters: a lower-case letter, then a-z, 0-9 or -',
    }),
    title: nonEmpty(),
    kind: z.enum(workflowKinds).default('managed'),
    owner: nonEmpty().describe('The accountable person, usually an email address'),
    team: z.string().optional(),
    description: z.string().optional(),
    risk: z.enum(riskLevels),
    triggers: z.array(triggerSchema).default([]),
    input: jsonSchemaObject.optional().describe('JSON Schema of the event payload (the data contract)'),
    steps: z.array(stepSchema).default([]),
    approval: approvalSchema.optional(),
    access: z.array(accessSchema).default([]),
    on_access_denied: z.enum(['fail', 'review']).default('fail')
      .describe('An action refused for want of a live grant: fail the run (closed), or ask a person to retry once the grant is given'),
    metric: metricSchema.optional(),
    budget: budgetSchema.optional(),
    exclusions: z.array(exclusionSchema).default([]),
    runbook: runbookSchema.optional(),
    evals: evalsSchema.optional(),
    owners: ownerMapSchema.optional(),
    failure_modes: z.array(failureModeSchema).optional().describe('Failure patterns found while testing and in sandbox; the gate to sandbox needs them written down'),
    gates: gatesSchema.optional(),
    on_pause: onPauseSchema.optional(),
  })
  .strict()
  .meta({ title: 'Keel workflow', description: 'A workflow definition file for Keel' });

export type WorkflowSpec = z.output<typeof workflowSchema>;
/** What a file may contain before defaults are applied. */
export type WorkflowSpecInput = z.input<typeof workflowSchema>;
export type WorkflowKind = WorkflowSpec['kind'];
export type RiskLevel = WorkflowSpec['risk'];
export type TriggerSpec = z.output<typeof triggerSchema>;
export type WebhookTrigger = z.output<typeof webhookTriggerSchema>;
export type ScheduleTrigger = z.output<typeof scheduleTriggerSchema>;
export type ManualTrigger = z.output<typeof manualTriggerSchema>;
export type EmailTrigger = z.output<typeof emailTriggerSchema>;
export type SecretRef = z.output<typeof secretRefSchema>;
export type RetrySpec = z.output<typeof retrySchema>;
export type StepSpec = z.output<typeof stepSchema>;
export type StepKind = StepSpec['kind'];
export type TransformStep = z.output<typeof transformStepSchema>;
export type RouteStep = z.output<typeof routeStepSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
export type ModelStep = z.output<typeof modelStepSchema>;
export type ClassifyStep = z.output<typeof classifyStepSchema>;
export type RetrieveStep = z.output<typeof retrieveStepSchema>;
export type StepReviewSpec = z.output<typeof stepReviewSchema>;
export type BudgetSpec = z.output<typeof budgetSchema>;
export type ReviewStep = z.output<typeof reviewStepSchema>;
export type AssignSpec = z.output<typeof assignSchema>;
export type ActionStep = z.output<typeof actionStepSchema>;
export type DeliveryClass = ActionStep['delivery'];
export type ApprovalSpec = z.output<typeof approvalSchema>;
export type ApprovalRule = z.output<typeof approvalRuleSchema>;
export type ApprovalDecision = ApprovalRule['then'];
export type ExclusionSpec = z.output<typeof exclusionSchema>;
export type ReviewPolicySpec = Pick<StepReviewSpec, 'due' | 'escalate_to' | 'deadline' | 'on_deadline' | 'quorum' | 'priority'>;
export type AccessSpec = z.output<typeof accessSchema>;
export type MetricSpec = z.output<typeof metricSchema>;
export type RunbookSpec = z.output<typeof runbookSchema>;
export type OnPauseSpec = z.output<typeof onPauseSchema>;
