// The promotion slice owns the path from design to production: each stage's gate (automatic
// checks read from Keel's own records, and sign-offs by named roles, never the version's author),
// promotion through it, and rollback drills as the gate's evidence that rollback works.
export { gateSettings, gatedStages, previousStage, isGated, type GateSettings, type GatedStage } from './gate-settings.js';
export { sandboxSample, type GateItem, type SandboxSample } from './gate-checks.js';
export { evaluateGate, candidateVersion, type GateReport, type GateQuery } from './gates.js';
export { signGate, revokeSignoff, liveSignoffs, type SignGate, type SignoffRow } from './signoffs.js';
export { promote, gateNotMet, type PromoteResult } from './promote.js';
export { runDrill, listDrills, type DrillRow, type DrillStep, type RunDrill } from './drills.js';
export { createStageCheck } from './stage-check.js';
export { gateReadiness, type GateReadinessItem } from './readiness.js';
export { registerPromotionRoutes, gateReportSchema, signoffSchema, drillSchema } from './routes.js';
