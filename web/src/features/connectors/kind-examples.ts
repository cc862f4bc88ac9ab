// The six connector kinds as the create form offers them: what each is, the config it takes, and a
// minimal config that passes its schema (src/connectors/kinds/*.ts). Every example names its
// secrets (`*_secret`) and holds no value: values are stored on the connector's page afterwards.
// No imports, so the browser test can check each example against the server's own schemas.

export interface KindExample {
  kind: string;
  /** What the kind is, in a few words (the select's option). */
  what: string;
  /** The config it takes, in one line (shown under the select). */
  takes: string;
  example: Record<string, unknown>;
}

export const kindExamples: readonly KindExample[] = [
  {
    kind: 'http',
    what: 'a REST API under one base URL',
    takes: 'base_url; auth: none, bearer (token_secret), basic (username, password_secret) or api_key (header, key_secret); optional headers, timeout_ms, write_delivery, check_path',
    example: { base_url: 'https://api.example.com', auth: { type: 'bearer', token_secret: 'api-token' } },
  },
  {
    kind: 'webhook',
    what: 'signed outbound webhooks to one URL',
    takes: 'url and signing_secret (the receiver\'s whsec_ key); optional headers, timeout_ms',
    example: { url: 'https://hooks.example.com/keel', signing_secret: 'webhook-signing-key' },
  },
  {
    kind: 'slack',
    what: 'Slack messages with a bot token',
    takes: 'bot_token_secret; optional default_channel, incoming_webhook_secret, api_url, history_check',
    example: { bot_token_secret: 'slack-bot-token', default_channel: 'C0123456789' },
  },
  {
    kind: 'email',
    what: 'sends over SMTP, reads one IMAP mailbox',
    takes: 'smtp: host, port, from, username, password_secret; optional imap (host, port, username, password_secret, mailbox), allowed_recipient_domains, max_recipients',
    example: { smtp: { host: 'smtp.example.com', port: 587, username: 'keel@example.com', password_secret: 'smtp-password', from: 'Keel <keel@example.com>' } },
  },
  {
    kind: 'postgres',
    what: 'named SQL statements on a PostgreSQL database',
    takes: 'url_secret and statements (name: sql with $1…$n, mode read or write); optional statement_timeout_ms, connect_timeout_ms, max_rows',
    example: { url_secret: 'orders-db-url', statements: { order_by_id: { sql: 'SELECT id, status FROM orders WHERE id = $1', mode: 'read' } } },
  },
  {
    kind: 'files',
    what: 'files inside one folder',
    takes: 'root (an absolute folder path); optional max_bytes',
    example: { root: '/srv/keel/files' },
  },
];

export function kindExample(kind: string): KindExample | undefined {
  return kindExamples.find((k) => k.kind === kind);
}

/** The example as the config editor shows it. */
export function exampleText(kind: string): string {
  const example = kindExample(kind)?.example;
  return example ? JSON.stringify(example, null, 2) : '{}';
}
