// The shapes the connector and grant routes answer, described once: they validate nothing coming
// in, but make the OpenAPI document and the CLI's types (src/cli/api-types.ts). No schema here has
// a field that could hold a secret value: secrets appear as names, versions and dates only.
import { isoDate, z } from '../contract/index.js';

const deliveryClasses = ['idempotent', 'check-then-act', 'unsafe'] as const;
export const grantStatuses = ['requested', 'approved', 'rejected', 'revoked'] as const;

export const connectorActionSchema = z.object({
  name: z.string(),
  scope: z.string().describe('The scope a grant must give for this action'),
  delivery: z.enum(deliveryClasses).nullable().describe('How it survives a crash; null when it depends on a config that does not parse'),
  side_effect: z.boolean().describe('Changes something outside Keel (intercepted in sandbox); false for reads'),
}).openapi('ConnectorAction');

export const secretMetaSchema = z.object({
  name: z.string(), version: z.number().int(), created_at: isoDate,
  rotate_by: isoDate.nullable(), rotation_due: z.boolean(),
}).openapi('ConnectorSecretMeta');

export const connectorSchema = z.object({
  id: z.string(), kind: z.string(), kind_description: z.string().nullable(), title: z.string(),
  owner: z.string().describe('The person who decides grants on it'),
  credential_owner: z.string().nullable().describe('Who holds the credential at the source system (who rotates it)'),
  config: z.record(z.string(), z.unknown()).describe('As stored: secret *names*, never values'),
  config_valid: z.boolean(), allow_hosts: z.array(z.string()), rotation_days: z.number().int().nullable(),
  source: z.enum(['file', 'api']), created_at: isoDate, updated_at: isoDate,
  paused: z.boolean().describe('The kill switch: every action call through it is refused and runs wait at its actions until it is resumed'),
  paused_at: isoDate.nullable(), paused_by: z.string().nullable(), pause_reason: z.string().nullable(),
  actions: z.array(connectorActionSchema), secrets: z.array(secretMetaSchema).describe('Metadata only'),
}).openapi('Connector');

export const grantSchema = z.object({
  id: z.string(), workflow_id: z.string(), connector_id: z.string(), scope: z.string(), status: z.enum(grantStatuses),
  reason: z.string().nullable(), requested_by: z.string(), requested_at: isoDate,
  decided_by: z.string().nullable(), decided_at: isoDate.nullable(), decision_note: z.string().nullable(),
  expires_at: isoDate.nullable(), last_used_at: isoDate.nullable(), use_count: z.number().int(),
}).openapi('Grant');

export const connectorDetailSchema = connectorSchema.extend({
  grants: z.array(grantSchema).describe('Of workflows the caller may see; every grant for its owner and admins'),
}).openapi('ConnectorDetail');

export const grantRequestedSchema = z.object({
  grant: grantSchema, created: z.boolean().describe('False: a live request or grant for the same scope already existed and is answered'),
}).openapi('GrantRequested');

export const inventorySchema = z.object({
  generated_at: isoDate,
  unused_after_days: z.number().int(),
  connectors: z.array(z.object({
    id: z.string(), kind: z.string(), title: z.string(), owner: z.string(), credential_owner: z.string().nullable(),
    rotation_days: z.number().int().nullable(), rotation_due: z.boolean(), next_rotate_by: isoDate.nullable(),
    secrets_due: z.array(z.string()).describe('Names of the secrets past their rotation date'),
    grants: z.array(z.object({
      id: z.string(), workflow_id: z.string(), scope: z.string(), status: z.enum(grantStatuses),
      decided_by: z.string().nullable(), decided_at: isoDate.nullable(), expires_at: isoDate.nullable(), expired: z.boolean(),
      last_used_at: isoDate.nullable(), use_count: z.number().int(),
      unused_30d: z.boolean().describe('Approved, and not used for 30 days (or never since approval 30 days ago)'),
    })).describe('Approved grants'),
  })),
  open_requests: z.array(z.object({
    id: z.string(), workflow_id: z.string(), connector_id: z.string(), scope: z.string(), reason: z.string().nullable(),
    requested_by: z.string(), requested_at: isoDate,
  })).describe('Grant requests waiting for the connector owner'),
}).openapi('AccessInventory');

export const requestBody = z.object({
  connector: z.string().min(1), scope: z.string().min(1).describe('A scope of one of the connector\'s actions, e.g. email:send'),
  reason: z.string().max(2000).optional(),
});

export const pauseBody = z.object({
  reason: z.string().max(2000).optional().describe('Why; recorded on the connector and in the audit log, and told to every refused caller'),
});

export const decisionBody = z.object({
  decision: z.enum(['approve', 'reject']),
  note: z.string().max(2000).optional().describe('Required to reject'),
  expires_at: z.string().optional().describe('ISO 8601; the grant stops working then'),
});
