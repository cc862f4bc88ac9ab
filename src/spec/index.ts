// The spec slice owns the Keel workflow file format: its zod schema and TypeScript types, the YAML
// loader that reports every problem at file:line:col, the semantic checks, the JSON Schema export
// for editors, and the canonical JSON used to content-hash versions.
export type {
  AccessSpec,
  ActionStep,
  ApprovalDecision,
  ApprovalRule,
  ApprovalSpec,
  ExclusionSpec,
  ReviewPolicySpec,
  AssignSpec,
  BudgetSpec,
  ClassifyStep,
  DeliveryClass,
  ManualTrigger,
  MetricSpec,
  ModelStep,
  RetrieveStep,
  RetrySpec,
  ReviewStep,
  RiskLevel,
  RouteSpec,
  RouteStep,
  RunbookSpec,
  OnPauseSpec,
  ScheduleTrigger,
  SecretRef,
  StepKind,
  StepSpec,
  StepReviewSpec,
  TransformStep,
  TriggerSpec,
  WebhookTrigger,
  WorkflowKind,
  WorkflowSpec,
  WorkflowSpecInput,
} from './schema.js';
export {
  deliveryClasses,
  deadlineOutcomes,
  reviewPriorities,
  libraryRefPattern,
  metricMeasures,
  metricTimeUnits,
  riskLevels,
  stepKinds,
  workflowKinds,
  workflowSchema,
} from './schema.js';
export { parseWorkflow, loadWorkflowFile, validateWorkflowText, type WorkflowValidation } from './load.js';
export { parseDuration } from './duration.js';
export { pausePolicy, defaultPausePolicy } from './pause-policy.js';
export { workflowJsonSchema } from './json-schema.js';
export { canonicalJson } from './canonical-json.js';
export { compileJsonSchema, validationProblems } from './expressions.js';
export { END, successors } from './graph.js';
export { locate, formatPath, type PathSegment, type SourcePosition } from './locate.js';
export { closest } from './suggest.js';
export { APPROVAL } from './semantic.js';
export { autoThreshold, thresholdCondition } from './approval-threshold.js';
export { monitorSchema, monitorMetrics, driftFeatures, type MonitorSpec, type MonitorMetric, type DriftFeature } from './monitor-schema.js';
export { evalsSchema, scorerSchema, scorerKinds, scorerKind, type EvalsSpec, type ScorerSpec, type ScorerKind } from './evals-schema.js';
export { regexPatternProblem, regexPatternMaxLength } from './regex-pattern.js';

export { ownerMapSchema, failureModeSchema, gatesSchema, signerRoles, type OwnerMapSpec, type FailureModeSpec, type GatesSpec, type SignerRole } from './governance-schema.js';
