// The evals slice owns a workflow's datasets: labelled cases added from decided reviews, imported
// from CSV or JSON Lines files or written by hand, in immutable versions an eval run can name.
// Eval runs execute a version in sandbox against one dataset version and score every case. Shadow
// runs execute a candidate version in sandbox on copies of live runs and compare it with them.
export {
  addCaseFromReview, listCases, datasetNamePattern, defaultDataset,
  type DatasetCase, type AddCaseFromReview, type AddedCase, type ListCasesOptions,
} from './cases.js';
export { importCases, addCase, removeCase, type ImportCases, type ImportedCases, type AddCase } from './changes.js';
export { parseDatasetFile, readDatasetFile, maxImportRows, type DatasetFileFormat, type ImportedRow, type RowProblem } from './import-file.js';
export {
  datasetVersionCases, getDatasetVersion, listDatasets,
  type DatasetVersion, type DatasetChange, type DatasetSummary, type VersionCases, type VersionCasesOptions,
} from './versions.js';
export { registerDatasetRoutes } from './routes.js';
export { datasetCaseSchema, addedCaseSchema, datasetVersionSchema, datasetSummarySchema, importedCasesSchema, versionCasesSchema } from './schemas.js';
export {
  scoreCase, casePassed, aggregate, passRateInterval, judgeOutputSchema, judgePrompt,
  type ScoreResult, type ScorerCase, type ScorerDeps, type ScorerSummary, type LabelMetrics, type LabelScores, type LabelPair,
  type ConfusionCell, type Interval,
} from './scorers/index.js';
export {
  startEvalRun, getEvalRun, listEvalRuns, listEvalResults, cancelEvalRun, evalRunWorkflowId, defaultEvalConcurrency,
  type EvalRunRow, type EvalResultRow, type EvalSummary, type EvalRunStatus, type StartEvalRun,
} from './eval-runs.js';
export { createEvalRunner, advanceAll as advanceEvalRuns, type EvalRunnerDeps } from './eval-runner.js';
export { compareEvalRuns, type EvalComparison, type CaseChange } from './eval-compare.js';
export { evalRunSchema, evalResultSchema, evalComparisonSchema } from './eval-routes.js';
export {
  startShadow, getShadow, listShadows, stopShadow, shadowWorkflowId, stepOfPath, defaultShadowMaxRuns, maxShadowRuns,
  type ShadowRunRow, type ShadowPairRow, type ShadowCompare, type ShadowMode, type ShadowStatus, type StartShadow,
} from './shadow-runs.js';
export { shadowFigures, type ShadowSummary, type SideFigures } from './shadow-figures.js';
export { shadowReport, type ShadowReport, type ShadowReportOptions } from './shadow-report.js';
export { createShadowRunner, advanceShadows, type ShadowRunnerDeps } from './shadow-runner.js';
export { shadowRunSchema, shadowPairSchema, shadowReportSchema, shadowSummarySchema } from './shadow-routes.js';
