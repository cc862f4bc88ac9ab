// The review slice owns review tasks: a proposed output waiting for a person, decided once by
// approve, edit or reject (expired when its due time passes). SLAs, escalation and the approval
// boundary grow here in the review issue.
export { reviewStatuses, reviewDecisions, reviewReasons, type ReviewRow, type ReviewStatus, type ReviewDecision, type ReviewReason } from './types.js';
export {
  openReview, findReview, retireReview, getReview, listReviews, decideReview, expireOverdueReviews, reviewWorkflowId,
  type OpenReview, type DecideInput, type WakeRun,
} from './store.js';
export { registerReviewRoutes, reviewSchema } from './routes.js';
export { claimReview, releaseReview, defaultClaimMinutes } from './claims.js';
export {
  suggestThreshold, wilsonLowerBound, clopperPearsonLowerBound,
  type ScoredDecision, type ThresholdSuggestion, type SuggestOptions, type BoundMethod, type CurvePoint,
} from './calibration.js';
