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
