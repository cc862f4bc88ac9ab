// Every connector kind Keel ships, by name. A kind is a typed config and actions with scopes and
// delivery classes (kind.ts); the runtime (../runtime.ts) adds grants, secrets and sandbox
// interception, so no kind can bypass them.
import { emailKind } from './email.js';
import { filesKind } from './files.js';
import { httpKind } from './http.js';
import { registeredKind, type ConnectorKind } from './kind.js';
import { postgresKind } from './postgres.js';
import { slackKind } from './slack.js';
import { webhookKind } from './webhook.js';

export type { ActionCall, ConnectorAction, ConnectorContext, ConnectorKind, DeliveryClass } from './kind.js';
export { defineAction, registeredKind } from './kind.js';
export { filesKind, filesConfigSchema, type FilesConfig } from './files.js';
export { postgresKind, postgresConfigSchema, placeholders, type PostgresConfig, type PostgresStatement } from './postgres.js';
export { slackKind, slackConfig, type SlackConfig } from './slack.js';
export { httpKind, httpConfigSchema, type HttpConfig } from './http.js';
export { webhookKind, webhookConfigSchema, type WebhookConfig } from './webhook.js';
export { emailKind, emailConfigSchema, pollMailbox, renderEmail, type EmailConfig, type MailboxCursor, type MailboxPoll, type FetchedMessage, type PollOptions } from './email.js';

/** The kinds by name, as the connector runtime looks them up. */
export const connectorKinds: ReadonlyMap<string, ConnectorKind<unknown>> = new Map(
  [
    registeredKind(httpKind), registeredKind(webhookKind), registeredKind(slackKind), registeredKind(emailKind),
    registeredKind(postgresKind), registeredKind(filesKind),
  ].map((k) => [k.kind, k]),
);
