// The message the `send` action writes: its input contract, the recipient policy (least privilege:
// only allowed domains, a bounded count), the deterministic Message-ID, and the exact headers and
// bodies that go out, shared by `render` (what sandbox and review show) and `run` (what is sent).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { KeelError, type FieldProblem } from '../../errors.js';

/** One address with its optional display name, as nodemailer takes it (never re-parsed from text). */
export interface Mailbox {
  name?: string;
  address: string;
}

const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const localPartPattern = new RegExp(`^${atom}(?:\\.${atom})*$`);
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const domainPattern = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})+$`);
const lineBreak = /[\r\n\0]/;

/**
 * Parses exactly one address, `local@example.com` or `Display Name <local@example.com>`. ASCII
 * addresses only; groups, lists, comments and anything with a line break are refused, so a value
 * can neither add recipients nor start a new header.
 */
export function parseMailbox(text: string): Mailbox | undefined {
  if (text.length > 400 || lineBreak.test(text)) return undefined;
  const named = /^\s*(?:"([^"\\]*)"|([^"<>]*?))\s*<([^<>\s]+)>\s*$/.exec(text);
  const address = named ? (named[3] ?? '') : text.trim();
  const name = named ? (named[1] ?? named[2] ?? '').trim() : '';
  const at = address.lastIndexOf('@');
  if (at < 1 || address.length > 254) return undefined;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (local.length > 64 || !localPartPattern.test(local) || !domainPattern.test(domain)) return undefined;
  return name ? { name, address: `${local}@${domain}` } : { address: `${local}@${domain}` };
}

export function domainOf(mailbox: Mailbox): string {
  return mailbox.address.slice(mailbox.address.lastIndexOf('@') + 1);
}

/** A single address; see parseMailbox. */
export const mailboxText = z.string().refine((v) => parseMailbox(v) !== undefined, {
  message: 'must be one email address ("name@example.com" or "Name <name@example.com>") without line breaks',
});

/** A domain of allowed_recipient_domains: matched exactly (subdomains are listed one by one). */
export const domainText = z.string().transform((v) => v.toLowerCase()).pipe(z.string().regex(domainPattern, 'must be a domain such as example.com'));

const headerText = z.string().max(998).refine((v) => !lineBreak.test(v), {
  message: 'must not contain line breaks (CR/LF): they would start new mail headers',
});
const messageIdText = z.string().max(998).regex(/^<[^<>\s@]+@[^<>\s@]+>$/, 'must be a Message-ID such as <id@example.com>');

/** What `send` takes. Unknown fields (a `bcc`, say) are refused rather than silently dropped. */
export const sendInputSchema = z.strictObject({
  to: z.array(mailboxText).min(1),
  cc: z.array(mailboxText).optional(),
  subject: headerText,
  /** The plain-text body; always sent, also beside `html`. */
  text: z.string().max(1_000_000),
  html: z.string().max(2_000_000).optional(),
  reply_to: mailboxText.optional(),
  /** Message-ID this message answers; with `references`, keeps the thread together. */
  in_reply_to: messageIdText.optional(),
  references: z.array(messageIdText).max(100).optional(),
});
export type SendInput = z.output<typeof sendInputSchema>;

/** The connector's least-privilege limits on who may receive mail. */
export interface RecipientPolicy {
  allowed_recipient_domains?: string[] | undefined;
  max_recipients: number;
}

export interface Recipients {
  to: Mailbox[];
  cc: Mailbox[];
}

/**
 * Applies the policy to `to` and `cc`. Called by `render` as well as `run`, so a sandbox run shows
 * the refusal a production run would meet instead of a "would have sent" that never could be.
 */
export function checkRecipients(policy: RecipientPolicy, input: SendInput): Recipients {
  const parse = (field: string, values: readonly string[] = []) =>
    values.map((text, i) => ({ path: `${field}[${i}]`, mailbox: parseMailbox(text) }));
  const all = [...parse('to', input.to), ...parse('cc', input.cc)];
  const invalid = all.filter((r) => !r.mailbox);
  if (invalid.length > 0) {
    throw new KeelError('invalid_input', 'Some recipients are not valid email addresses.', {
      problems: invalid.map((r) => ({ path: r.path, message: 'not a single valid email address' })), retriable: false,
    });
  }
  const recipients = all as Array<{ path: string; mailbox: Mailbox }>;
  const distinct = new Set(recipients.map((r) => r.mailbox.address.toLowerCase()));
  if (distinct.size > policy.max_recipients) {
    throw new KeelError('invalid_input', `The message has ${distinct.size} recipients; this connector allows at most ${policy.max_recipients}.`, {
      problems: [{ path: 'to', message: `at most ${policy.max_recipients} recipients (to and cc together)` }],
      hint: 'Send fewer recipients per message, or raise max_recipients on the connector.', retriable: false,
    });
  }
  const allowed = policy.allowed_recipient_domains;
  if (allowed) {
    const outside: FieldProblem[] = recipients
      .filter((r) => !allowed.includes(domainOf(r.mailbox)))
      .map((r) => ({ path: r.path, message: `${r.mailbox.address} is outside the allowed recipient domains` }));
    if (outside.length > 0) {
      throw new KeelError('permission_denied', `This email connector may only send to ${allowed.join(', ')}.`, {
        problems: outside, retriable: false,
        hint: "Ask the connector's owner to add the domain to allowed_recipient_domains, or use another connector.",
        details: { allowed_recipient_domains: allowed },
      });
    }
  }
  const of = (field: string) => recipients.filter((r) => r.path.startsWith(`${field}[`)).map((r) => r.mailbox);
  return { to: of('to'), cc: of('cc') };
}

/**
 * `<keel-{sha256(idempotency key)}@{from domain}>`: the same step visit always writes the same
 * Message-ID, so a duplicate that reaches a mailbox is recognisable (many mail stores and clients
 * fold messages with one Message-ID). It does not make `send` check-then-act: SMTP has no way to ask
 * whether a Message-ID was already accepted, and the copy lands in the recipients' mailboxes, not
 * in one we can read; so a send that may have happened still stops for a person (`unsafe`).
 */
export function messageIdFor(idempotencyKey: string, from: Mailbox): string {
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  return `<keel-${hash}@${domainOf(from)}>`;
}

/** The idempotency key is not known when rendering outside a run; this stands in for it. */
export const messageIdPlaceholder = (from: Mailbox) => `<keel-{sha256 of the step's idempotency key}@${domainOf(from)}>`;

/** The message as sent: every header Keel sets, and the bodies. Never any credential. */
export interface ComposedMessage {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  reply_to?: Mailbox;
  subject: string;
  headers: Record<string, string>;
  text: string;
  html?: string;
}

export function composeMessage(from: Mailbox, recipients: Recipients, input: SendInput, messageId: string): ComposedMessage {
  const headers: Record<string, string> = { 'Message-ID': messageId };
  if (input.in_reply_to) headers['In-Reply-To'] = input.in_reply_to;
  if (input.references?.length) headers.References = input.references.join(' ');
  const replyTo = input.reply_to ? parseMailbox(input.reply_to) : undefined;
  return {
    from, to: recipients.to, cc: recipients.cc, subject: input.subject, headers, text: input.text,
    ...(replyTo ? { reply_to: replyTo } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
  };
}
