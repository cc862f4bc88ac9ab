// The `webhook` connector kind: events POSTed to one receiver, signed in the Standard Webhooks
// scheme so the receiver can tell they come from us and drop replays and duplicates.

import { z } from 'zod';
import { KeelError } from '../../errors.js';
import { signWebhook } from '../standard-webhooks.js';
import { defineAction, type ConnectorKind } from './kind.js';
import { fixedHeadersSchema, hasHeader, isSuccess, sensitiveForms, statusError, targetUrlSchema, timeoutSchema } from './http-exchange.js';

const signatureHeaders = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];

export const webhookConfigSchema = z
  .strictObject({
    /** Where events are POSTed. Fixed by the owner: a workflow cannot redirect them elsewhere. */
    url: targetUrlSchema,
    /** The name of the secret holding the receiver's signing key (`whsec_<base64>`). */
    signing_secret: z.string().min(1),
    /** Non-secret headers sent with every event (shown in render). */
    headers: fixedHeadersSchema,
    timeout_ms: timeoutSchema,
  })
  .superRefine((config, ctx) => {
    for (const name of signatureHeaders) {
      if (hasHeader(config.headers, name)) ctx.addIssue({ code: 'custom', path: ['headers', name], message: `${name} is set by the signature itself` });
    }
  });

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

const sendInput = z.strictObject({
  /** When given, the body is the Standard Webhooks envelope `{ type, timestamp, data }`; otherwise the payload itself. */
  event_type: z.string().min(1).max(200).optional(),
  payload: z.json(),
});
type SendInput = z.infer<typeof sendInput>;

/** The exact body: the signature covers these bytes, so it is built once and sent as is. */
function body(input: SendInput, sentAt: Date | undefined): unknown {
  if (input.event_type === undefined) return input.payload;
  return { type: input.event_type, timestamp: sentAt ? sentAt.toISOString() : '<the send time, ISO 8601>', data: input.payload };
}

function baseHeaders(config: WebhookConfig): Record<string, string> {
  return { ...config.headers, ...(hasHeader(config.headers, 'content-type') ? {} : { 'content-type': 'application/json' }) };
}

export const webhookKind: ConnectorKind<WebhookConfig> = {
  kind: 'webhook',
  description: 'Outbound webhooks to one URL, signed in the Standard Webhooks scheme.',
  config: webhookConfigSchema,
  secretNames: (config) => [config.signing_secret],
  actions: {
    send: defineAction<WebhookConfig, SendInput>({
      scope: 'webhook:send',
      // `webhook-id` is the run's idempotency key, the same on every retry of this step visit, and
      // Standard Webhooks receivers must de-duplicate by it: a repeat after a crash is dropped by
      // the receiver, so the event takes effect once.
      delivery: 'idempotent',
      sideEffect: true,
      input: sendInput,
      render(config, input) {
        return {
          method: 'POST',
          url: config.url,
          headers: {
            ...baseHeaders(config),
            'webhook-id': '<the run idempotency key>',
            'webhook-timestamp': '<the send time, Unix seconds>',
            'webhook-signature': `<v1 HMAC-SHA256 over id.timestamp.body with secret ${config.signing_secret}>`,
          },
          body: body(input, undefined),
        };
      },
      async run({ config, input, context }) {
        const secret = await context.secret(config.signing_secret);
        // A fresh timestamp per attempt: receivers refuse one older than 5 minutes, and a retry
        // after a back-off must still be accepted (the id, not the timestamp, marks the duplicate).
        const sentAt = new Date();
        const timestamp = Math.floor(sentAt.getTime() / 1000);
        const text = JSON.stringify(body(input, sentAt));
        const id = context.idempotencyKey;
        let signature: string;
        try {
          signature = signWebhook({ id, timestamp, body: text, secret });
        } catch (error) {
          // A malformed key is a connector setting problem; say which setting, never the value.
          throw new KeelError('misconfigured', `The secret ${config.signing_secret} is not a usable webhook signing key.`, {
            retriable: false, cause: error, hint: 'Store the key exactly as the receiver issued it (whsec_ followed by base64).',
          });
        }
        const response = await context.egress.request({
          url: config.url,
          method: 'POST',
          headers: { ...baseHeaders(config), 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
          body: text,
          timeoutMs: config.timeout_ms,
          signal: context.signal,
        });
        if (isSuccess(response.status)) return { status: response.status, webhook_id: id };
        throw statusError(response, `POST ${new URL(config.url).host}`, sensitiveForms([secret]));
      },
    }),
  },
};
