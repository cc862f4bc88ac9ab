// The review slice owns review tasks: a proposed output waiting for a person, with its context,
// role, priority, SLA and escalation chain; decided once by approve (with a quorum), edit, reject,
// or moved on by escalate; swept by durable timers; announced to notification targets.
export {
  reviewStatuses, reviewDecisions, reviewReasons, taskStates, deadlineOutcomes, priorities, openStatuses, isOpen, taskState,
  type ReviewRow, type ReviewStatus, type ReviewDecision, type ReviewReason, type TaskState, type DeadlineOutcome, type Priority,
} from './types.js';
export { queueReviewEvent, reviewEvents, type ReviewEvent } from './events.js';
export { openReview, findReview, retireReview, getReview, listReviews, reviewWorkflowId, type OpenReview, type ReviewFilter } from './store.js';
export { decideReview, nextRole, type DecideInput, type DecisionResult, type WakeRun } from './decide.js';
export { sweepReviewDeadlines, type SlaSweep } from './sla.js';
export { bulkApprove, type BulkResult } from './bulk.js';
export { addReviewComment, listReviewComments, listReviewApprovals, type ReviewComment } from './comments.js';
export { policyFromSpec, taskClock, type ReviewPolicy } from './policy.js';
export { registerReviewRoutes, publicReview, reviewSchema, reviewDetailSchema, reviewDecidedSchema } from './routes.js';
export { claimReview, claimNextReview, releaseReview, defaultClaimMinutes, type ClaimNextInput } from './claims.js';
export {
  suggestThreshold, wilsonLowerBound, clopperPearsonLowerBound,
  type ScoredDecision, type ThresholdSuggestion, type SuggestOptions, type BoundMethod, type CurvePoint,
} from './calibration.js';
export { syncNotificationTargets, targetSecretsByUrl, type NotificationWebhook, type SyncResult } from './notification-targets.js';
export {
  deliverDueReviewMessages, startReviewDeliveries, defaultDeliveryRetry,
  type DeliveryDeps, type DeliveryRetry, type DeliveryRound, type ReviewDeliveryLoop, type ReviewDeliveryLoopOptions,
} from './deliveries.js';
export { requestExternalReview, waitForReviewDecision, reviewDecisionView, type ExternalReviewRequest, type ReviewDecisionView } from './external.js';
export { registerExternalReviewRoutes, externalReviewSchema, reviewDecisionSchema, type ExternalReviewRouteDeps } from './external-routes.js';
export {
  reviewMetrics, defaultMetricsWindowMs,
  type ReviewMetrics, type ReviewMetricsQuery, type ReviewFigures, type VersionFigures, type ReasonCount,
} from './metrics.js';
export { suggestBoundary, configuredThreshold, minScoredDecisions, type BoundarySuggestion, type BoundarySuggestInput, type CurrentThreshold } from './boundary-suggest.js';
export { registerReviewMetricsRoutes, reviewMetricsSchema, reviewFiguresSchema, boundarySuggestionSchema, parseSince } from './metrics-routes.js';
