// The JSON the pages read, inferred from the schemas the server's routes declare (types only: the
// bundle holds none of the server's code), so a changed route fails `npm run typecheck` here too.
import type { z } from 'zod';
import type { deploymentSchema, diffSchema, versionSummarySchema, workflowSchema } from '../../../src/registry/index.js';
import type { attemptSchema, runDetailSchema, runSchema } from '../../../src/engine/index.js';
import type { reviewDecidedSchema, reviewDetailSchema, reviewSchema } from '../../../src/review/index.js';
import type { meSchema } from '../../../src/auth/index.js';
import type { modelCallSchema } from '../../../src/models/index.js';

export type Me = z.infer<typeof meSchema>;
export type Workflow = z.infer<typeof workflowSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type VersionSummary = z.infer<typeof versionSummarySchema>;
export type VersionDiff = z.infer<typeof diffSchema>;
export type Run = z.infer<typeof runSchema>;
export type Attempt = z.infer<typeof attemptSchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type ModelCall = z.infer<typeof modelCallSchema>;
export type Review = z.infer<typeof reviewSchema>;
export type ReviewDetail = z.infer<typeof reviewDetailSchema>;
export type ReviewDecided = z.infer<typeof reviewDecidedSchema>;
import type { changeSchema, flowSchema, overviewSchema, overviewWorkflowSchema } from '../../../src/overview/index.js';

export type Overview = z.infer<typeof overviewSchema>;
export type OverviewWorkflow = z.infer<typeof overviewWorkflowSchema>;
export type Flow = z.infer<typeof flowSchema>;
export type Change = z.infer<typeof changeSchema>;
import type { connectorDetailSchema, connectorSchema, grantRequestedSchema, grantSchema, inventorySchema } from '../../../src/connectors/index.js';

export type Connector = z.infer<typeof connectorSchema>;
export type ConnectorDetail = z.infer<typeof connectorDetailSchema>;
export type ConnectorAction = Connector['actions'][number];
export type ConnectorSecretMeta = Connector['secrets'][number];
export type Grant = z.infer<typeof grantSchema>;
export type GrantRequested = z.infer<typeof grantRequestedSchema>;
export type AccessInventory = z.infer<typeof inventorySchema>;
export type InventoryConnector = AccessInventory['connectors'][number];
export type InventoryGrant = InventoryConnector['grants'][number];
export type OpenGrantRequest = AccessInventory['open_requests'][number];
import type { emailTriggerStateSchema, triggerStatesSchema } from '../../../src/engine/index.js';

export type TriggerStates = z.infer<typeof triggerStatesSchema>;
export type EmailTriggerState = z.infer<typeof emailTriggerStateSchema>;
import type { metricsSchema, traceListSchema, traceSchema } from '../../../src/observe/index.js';
// The monitor, incident and drift answers are not re-exported by the observe slice's index; types only.
import type { driftSchema, incidentListSchema, monitorListSchema } from '../../../src/observe/monitor-schemas.js';

export type Metrics = z.infer<typeof metricsSchema>;
export type MetricPoint = Metrics['series'][number];
export type BusinessMetric = NonNullable<Metrics['business_metric']>;
export type TraceList = z.infer<typeof traceListSchema>;
export type TraceSummary = TraceList['traces'][number];
export type Trace = z.infer<typeof traceSchema>;
export type Span = Trace['spans'][number];
export type MonitorList = z.infer<typeof monitorListSchema>;
export type Monitor = MonitorList['monitors'][number];
export type IncidentList = z.infer<typeof incidentListSchema>;
export type Incident = IncidentList['incidents'][number];
export type Drift = z.infer<typeof driftSchema>;
export type FeatureDrift = Drift['features'][number];
import type {
  datasetSummarySchema, evalComparisonSchema, evalResultSchema, evalRunSchema, importedCasesSchema, versionCasesSchema,
  ScoreResult, ScorerSummary,
} from '../../../src/evals/index.js';
import type { drillSchema, gateReportSchema, signoffSchema } from '../../../src/promotion/index.js';
import type { changeRequestSchema } from '../../../src/changes/index.js';
import type { handoffPackSchema } from '../../../src/handoff/index.js';
import type { SignerRole } from '../../../src/spec/index.js';

export type DatasetSummary = z.infer<typeof datasetSummarySchema>;
export type DatasetVersion = DatasetSummary['latest'];
export type VersionCases = z.infer<typeof versionCasesSchema>;
export type DatasetCase = VersionCases['cases'][number];
export type ImportedCases = z.infer<typeof importedCasesSchema>;
export type EvalRun = z.infer<typeof evalRunSchema>;
export type EvalResult = z.infer<typeof evalResultSchema>;
export type EvalComparison = z.infer<typeof evalComparisonSchema>;
export type EvalCaseChange = EvalComparison['regressed'][number];
// The route declares a summary's scorers and a result's scores as open records; these are what the
// scorers write into them (types only).
export type { ScorerSummary, ScoreResult, SignerRole };
export type GateReport = z.infer<typeof gateReportSchema>;
export type GateItem = GateReport['items'][number];
export type Signoff = z.infer<typeof signoffSchema>;
export type Drill = z.infer<typeof drillSchema>;
export type ChangeRequest = z.infer<typeof changeRequestSchema>;
export type HandoffPack = z.infer<typeof handoffPackSchema>;
import type { shadowPairSchema, shadowReportSchema, shadowRunSchema } from '../../../src/evals/index.js';

export type ShadowRun = z.infer<typeof shadowRunSchema>;
export type ShadowReport = z.infer<typeof shadowReportSchema>;
export type ShadowPair = z.infer<typeof shadowPairSchema>;
