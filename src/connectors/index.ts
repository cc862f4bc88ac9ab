// The connectors slice owns access to source systems: the one guarded egress client every outbound
// HTTP call goes through, and Standard Webhooks signing and verification. Connector kinds, actions
// with their delivery classes, and grants come later and will be exported from here too.

export { createEgressClient } from './egress.js';
export type { EgressClient, EgressClientOptions, EgressRequest, EgressResponse } from './egress.js';
export { egressFetch, type EgressFetch, type EgressFetchInit } from './egress-fetch.js';
export { retryAfterMs } from './retry-after.js';
export { signWebhook, verifyWebhook } from './standard-webhooks.js';
export type { VerifiedWebhook, WebhookSigningInput, WebhookVerifyInput } from './standard-webhooks.js';
export { loadSecretKey, secretKeyFromText, putSecret, readSecret, listSecrets, secretsDueForRotation, secretsSealedWithOtherKeys } from './secrets/index.js';
export type { SecretKey, PutSecretInput, PutSecretResult, SecretMeta } from './secrets/index.js';
