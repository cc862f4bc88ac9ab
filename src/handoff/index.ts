// The handoff slice owns the handoff pack: a workflow's card, owner map, access inventory, prompts
// with their known failure classes, monitoring view, runbook and change process, with a readiness
// checklist naming each missing item, as data, Markdown and HTML; and the review-date reminders.
export { buildHandoffPack, openChangeRequests, type HandoffDeps, type HandoffQuery, type HandoffSections } from './pack.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { createReviewReminders, reviewReminderKey, defaultReviewTickMs, type ReviewReminders, type ReviewRemindersOptions, type ReviewPass } from './reminders.js';
export { registerHandoffRoutes, type HandoffRouteDeps } from './routes.js';
export {
  handoffPackSchema,
  type HandoffPack, type ReadinessItem, type ChangeRequestSummary, type WorkflowCard, type OwnerMap, type AccessSection,
  type PromptsSection, type MonitoringView, type RunbookSection, type ChangeProcess, type FailureMode,
} from './schemas.js';
