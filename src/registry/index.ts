// The registry owns workflows, their immutable content-hashed versions, and the deployments that
// point each stage at a version (plus the schedule rows of what is deployed).
export { stages, type Stage, type WorkflowRow, type VersionRow, type VersionSummary, type DeploymentRow } from './types.js';
export { deployWorkflow, contentHash, type DeployInput, type DeployResult, type StageCheck } from './deploy.js';
export {
  listWorkflows, getWorkflow, listVersions, getVersion, getVersionById, resolveDeployment, refuseWhenPaused, moveDeployment, moveDeploymentIn, pausedRetryAfterMs,
  type WorkflowWithDeployments, type ResolvedDeployment, type StagePause,
} from './queries.js';
export { setPaused, lockStagePause, type PauseOptions } from './pause.js';
export { diffDefinitions, type DiffEntry } from './diff.js';
export { registerRegistryRoutes, workflowSchema, deploymentSchema, versionSummarySchema, versionSchema, diffSchema, deployResultSchema } from './routes.js';
export { rollbackStage, rollbackTarget, type RollbackResult } from './rollback.js';
export { listDeploymentHistory, type DeploymentHistoryEntry } from './history.js';
