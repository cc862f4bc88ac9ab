// The connectors slice owns access to source systems: the one guarded egress client every outbound
// HTTP call goes through, and Standard Webhooks signing and verification. Connector kinds, actions
// with their delivery classes, grants, the governed action path and secrets sealed at rest.

export { createEgressClient } from './egress.js';
export type { EgressClient, EgressClientOptions, EgressRequest, EgressResponse } from './egress.js';
export { egressFetch, type EgressFetch, type EgressFetchInit } from './egress-fetch.js';
export { retryAfterMs } from './retry-after.js';
export { signWebhook, verifyWebhook } from './standard-webhooks.js';
export type { VerifiedWebhook, WebhookSigningInput, WebhookVerifyInput } from './standard-webhooks.js';
export { loadSecretKey, secretKeyFromText, putSecret, readSecret, listSecrets, secretsDueForRotation, secretsSealedWithOtherKeys } from './secrets/index.js';
export type { SecretKey, PutSecretInput, PutSecretResult, SecretMeta } from './secrets/index.js';
export { connectorKinds } from './kinds/index.js';
export type { ConnectorKind, ConnectorAction, ConnectorContext, DeliveryClass } from './kinds/index.js';
export { saveConnector, getConnector, findConnector, listConnectors, type ConnectorRow, type ConnectorDefinition } from './connector-store.js';
export { setConnectorPaused, refuseWhenConnectorPaused, type ConnectorPauseOptions } from './connector-pause.js';
export { requestGrant, decideGrant, revokeGrant, getGrant, listGrants, checkGrant, type GrantRow, type GrantStatus } from './grants.js';
export { createConnectorRuntime, invokeAction, prepareAction, renderAction, resolveAction, type ActionInvocation, type ActionResult, type ConnectorRuntimeDeps, type PreparedAction } from './runtime.js';
export { loadConnectorFiles, parseConnectorFile, connectorSecretEnvPrefix, type ConnectorFileGrants } from './connector-file.js';
export { applyFileGrants, fileGrantActor } from './file-grants.js';
export { registerConnectorRoutes, type ConnectorRouteDeps } from './routes.js';
export { connectorSchema, connectorDetailSchema, grantSchema, grantRequestedSchema, inventorySchema, grantStatuses } from './route-schemas.js';
export { inventoryMarkdown, type AccessInventory } from './inventory.js';
export { checkWorkflowAccess, requestListedGrants, workflowAccessProblems, monitorNotifyProblems } from './workflow-access.js';
