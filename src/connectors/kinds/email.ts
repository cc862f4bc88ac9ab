// The `email` connector kind: `send` over SMTP (nodemailer) and `fetch_new` over IMAP (imapflow),
// which is also what the email trigger polls through `pollMailbox`. The parts live beside it:
// email-message.ts (input, recipient policy, Message-ID), email-send.ts (SMTP), email-read.ts
// (IMAP), email-text.ts (readable bodies), email-transport.ts (TLS policy, error mapping).
import { z } from 'zod';
import { defineAction, type ConnectorKind } from './kind.js';
import { checkRecipients, composeMessage, domainText, messageIdFor, messageIdPlaceholder, sendInputSchema, type SendInput } from './email-message.js';
import { senderOf, sendMessage, smtpConfigSchema } from './email-send.js';
import { imapConfigSchema, pollMailbox } from './email-read.js';

export { pollMailbox, type MailboxCursor, type MailboxPoll, type FetchedMessage, type PollOptions } from './email-read.js';

/** An email connector's settings. Secrets are named (`*_secret`), never written here. */
export const emailConfigSchema = z.strictObject({
  /** The outgoing server and the sender address. */
  smtp: smtpConfigSchema,
  /** The mailbox `fetch_new` and the email trigger read; without it the connector only sends. */
  imap: imapConfigSchema.optional(),
  /** When set, `send` refuses any recipient whose domain is not listed here (exact match). */
  allowed_recipient_domains: z.array(domainText).min(1).optional(),
  /** Most distinct recipients (to and cc together) one message may have. */
  max_recipients: z.number().int().min(1).max(1000).default(20),
});
export type EmailConfig = z.output<typeof emailConfigSchema>;

export const fetchNewInputSchema = z.strictObject({
  /** Only messages with a higher UID; absent means from the oldest message. */
  after_uid: z.number().int().min(0).optional(),
  /** The UIDVALIDITY `after_uid` belongs to; when the mailbox's differs, the read starts over (reset). */
  uid_validity: z.string().regex(/^\d{1,10}$/).optional(),
  /** The `last_date` a previous read answered: bounds the re-read after a UIDVALIDITY change. */
  last_date: z.iso.datetime().optional(),
  limit: z.number().int().min(1).max(500).default(50),
  /**
   * Where a read without a cursor starts: `oldest` reads the mailbox from its oldest message;
   * `newest` answers no message and the cursor at the newest one, so only mail arriving after it is
   * read next. Ignored when a cursor (`after_uid` or `uid_validity`) is given.
   */
  from: z.enum(['oldest', 'newest']).default('oldest'),
});
export type FetchNewInput = z.output<typeof fetchNewInputSchema>;

/** The message `send` would write for this input; `idempotencyKey` fixes the Message-ID when known. */
export function renderEmail(config: EmailConfig, input: SendInput, idempotencyKey?: string) {
  const from = senderOf(config.smtp);
  const recipients = checkRecipients(config, input);
  const messageId = idempotencyKey === undefined ? messageIdPlaceholder(from) : messageIdFor(idempotencyKey, from);
  const { host, port, secure, starttls } = config.smtp;
  return { ...composeMessage(from, recipients, input, messageId), smtp: { host, port, secure, starttls } };
}

export const emailKind: ConnectorKind<EmailConfig> = {
  kind: 'email',
  description: 'Sends mail over SMTP and reads new mail from one IMAP mailbox.',
  config: emailConfigSchema,
  secretNames: (config) =>
    [config.smtp.password_secret, config.imap?.password_secret].filter((name): name is string => typeof name === 'string'),
  actions: {
    send: defineAction<EmailConfig, SendInput>({
      scope: 'email:send',
      // SMTP has no idempotency key and no way to ask whether a message was taken; the
      // deterministic Message-ID only makes a duplicate recognisable (see messageIdFor).
      delivery: 'unsafe',
      sideEffect: true,
      input: sendInputSchema,
      render: (config, input) => renderEmail(config, input),
      async run({ config, input, context }) {
        const from = senderOf(config.smtp);
        const message = composeMessage(from, checkRecipients(config, input), input, messageIdFor(context.idempotencyKey, from));
        return sendMessage(config.smtp, message, context);
      },
    }),
    fetch_new: defineAction<EmailConfig, FetchNewInput>({
      scope: 'email:read',
      delivery: 'idempotent',
      sideEffect: false,
      input: fetchNewInputSchema,
      render: (config, input) => ({ mailbox: config.imap?.mailbox ?? null, host: config.imap?.host ?? null, ...input }),
      async run({ config, input, context }) {
        const cursor = input.after_uid === undefined && input.uid_validity === undefined
          ? null
          : { last_uid: input.after_uid ?? 0, uid_validity: input.uid_validity, last_date: input.last_date };
        const poll = await pollMailbox(config, context, cursor, { limit: input.limit, start: input.from });
        return {
          messages: poll.messages,
          last_uid: poll.cursor.last_uid,
          uid_validity: poll.cursor.uid_validity,
          last_date: poll.cursor.last_date ?? null,
          reset: poll.reset,
          more: poll.more,
        };
      },
    }),
  },
};
