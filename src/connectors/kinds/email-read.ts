// Reading new mail from one IMAP mailbox with imapflow. A poll opens the mailbox read-only (EXAMINE:
// nothing is marked seen, moved or deleted; reads have no side effect) and answers the messages
// whose UID is above the cursor's. UIDs only mean something together with the mailbox's
// UIDVALIDITY, so the cursor stores both, and a changed UIDVALIDITY is handled explicitly (reset).
import { ImapFlow, type FetchMessageObject, type MessageAddressObject } from 'imapflow';
import { z } from 'zod';
import { KeelError } from '../../errors.js';
import type { ConnectorContext } from './kind.js';
import { bodyTextOf, type BodyText } from './email-text.js';
import { factsOf, isTlsFailure, isUnreachable, redact, refuseCleartextPassword, serverFields } from './email-transport.js';

/** The mailbox new mail is read from. */
export const imapConfigSchema = z
  .strictObject({
    ...serverFields,
    username: z.string().min(1),
    /** Name of the secret holding the password. */
    password_secret: z.string().min(1),
    mailbox: z.string().min(1).max(500).default('INBOX'),
  })
  .superRefine(refuseCleartextPassword);
export type ImapConfig = z.output<typeof imapConfigSchema>;

/**
 * Where the last poll stopped. `uid_validity` is a decimal string (a 32-bit value that JSON numbers
 * could carry, but it is an identifier, not a quantity); `last_date` is the internal date of the
 * newest message seen, used to bound the re-read after a UIDVALIDITY change.
 */
export interface MailboxCursor {
  uid_validity?: string | undefined;
  last_uid: number;
  last_date?: string | undefined;
}

export interface FetchedMessage {
  uid: number;
  message_id: string | null;
  from: string | null;
  from_name: string | null;
  to: string[];
  cc: string[];
  subject: string;
  /** ISO 8601: the Date header, else the server's internal date. */
  date: string | null;
  in_reply_to: string | null;
  /** The text/plain part; for HTML-only mail, the HTML converted to plain text (see text_source). */
  text: string;
  text_source: BodyText['source'];
  text_truncated: boolean;
}

export interface MailboxPoll {
  messages: FetchedMessage[];
  /** What to store and pass to the next poll. */
  cursor: Required<Pick<MailboxCursor, 'uid_validity' | 'last_uid'>> & Pick<MailboxCursor, 'last_date'>;
  /**
   * True when the mailbox's UIDVALIDITY differs from the cursor's: its UIDs were renumbered, so this
   * poll restarted from the day of `last_date` (or from the oldest message). Messages seen before can
   * come again; whoever starts runs from them should key them by `message_id`.
   */
  reset: boolean;
  /** More new messages are waiting beyond `limit`: poll again now rather than at the next tick. */
  more: boolean;
}

export interface PollOptions {
  /** At most this many messages per poll (oldest first); default 50. */
  limit?: number;
  /**
   * Without a cursor: read from the `oldest` message (default), or (`newest`) read nothing and answer
   * the cursor at the newest message, so the next poll reads only mail that arrived after it.
   */
  start?: 'oldest' | 'newest';
}

/**
 * Reads the messages that arrived after `cursor` (when it is null: all of them, oldest first, or
 * none with `start: 'newest'`, which answers where the mailbox stands).
 * This is what the email trigger polls with its stored cursor, and what `fetch_new` runs.
 */
export async function pollMailbox(
  config: { imap?: ImapConfig | undefined }, context: ConnectorContext, cursor: MailboxCursor | null, options: PollOptions = {},
): Promise<MailboxPoll> {
  const imap = config.imap;
  if (!imap) {
    throw new KeelError('misconfigured', 'This email connector has no imap section, so it cannot read mail.', {
      retriable: false, hint: 'Add imap (host, port, username, password_secret) to the connector.',
    });
  }
  const limit = options.limit ?? 50;
  const password = await context.secret(imap.password_secret);
  const client = new ImapFlow({
    host: imap.host, port: imap.port, secure: imap.secure,
    // imapflow: true = must upgrade, false = never, unset = when offered (and never with secure).
    ...(imap.secure ? {} : { doSTARTTLS: imap.starttls === 'require' ? true : imap.starttls === 'never' ? false : undefined }),
    auth: { user: imap.username, pass: password },
    logger: false, disableAutoIdle: true,
    connectionTimeout: imap.timeout_ms, greetingTimeout: imap.timeout_ms, socketTimeout: Math.max(60_000, imap.timeout_ms),
    tls: { minVersion: 'TLSv1.2' },
  });
  // imapflow also reports failures as events; an unheard 'error' event would crash the process.
  client.on('error', () => undefined);
  const onAbort = () => client.close();
  context.signal.addEventListener('abort', onAbort, { once: true });
  let phase: 'connect' | 'read' = 'connect';
  try {
    if (context.signal.aborted) throw Object.assign(new Error('The step was cancelled'), { code: 'EABORT' });
    await client.connect();
    phase = 'read';
    const lock = await client.getMailboxLock(imap.mailbox, { readOnly: true });
    try {
      return await readNew(client, cursor, limit, options.start ?? 'oldest');
    } finally {
      lock.release();
    }
  } catch (error) {
    throw imapError(error, phase, imap, password, context.signal.aborted);
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await client.logout().catch(() => client.close());
  }
}

async function readNew(client: ImapFlow, cursor: MailboxCursor | null, limit: number, start: 'oldest' | 'newest'): Promise<MailboxPoll> {
  const mailbox = client.mailbox;
  if (!mailbox) throw new Error('The mailbox is not open');
  const uidValidity = String(mailbox.uidValidity);
  const reset = cursor?.uid_validity !== undefined && cursor.uid_validity !== uidValidity;
  if (!cursor && start === 'newest') return { messages: [], cursor: await newestPosition(client, uidValidity), reset: false, more: false };
  const after = cursor && !reset ? cursor.last_uid : 0;
  // After a renumbering, only mail from the day before the last one seen is read again; without
  // a date, everything is (callers dedupe by message_id either way).
  const since = reset && cursor?.last_date ? dayBefore(cursor.last_date) : undefined;
  // `N:*` always includes the highest UID even when it is below N, hence the filter after it.
  const found = (await client.search(since ? { since } : { uid: `${after + 1}:*` }, { uid: true })) || [];
  const uids = found.filter((uid) => uid > after).sort((a, b) => a - b);
  const chosen = uids.slice(0, limit);
  const more = uids.length > chosen.length;
  const messages: FetchedMessage[] = [];
  // Dates survive a renumbering, so the last date seen stays a valid bound across a reset.
  let lastDate = cursor?.last_date;
  if (chosen.length > 0) {
    const fetched = await client.fetchAll(chosen.join(','), { uid: true, envelope: true, bodyStructure: true, internalDate: true }, { uid: true });
    for (const message of fetched.sort((a, b) => a.uid - b.uid)) {
      messages.push(toMessage(message, await bodyTextOf(client, message)));
      lastDate = isoDate(message.internalDate) ?? lastDate;
    }
  }
  let lastUid = messages.at(-1)?.uid ?? after;
  // Every message the date search left out is older than the last one seen: skip past all of them,
  // or the next poll (by UID again) would take the old mail for new.
  if (since && !more) lastUid = Math.max(lastUid, await topUid(client));
  return { messages, cursor: { uid_validity: uidValidity, last_uid: lastUid, last_date: lastDate }, reset, more };
}

/**
 * Where the mailbox stands now: its highest UID and the internal date of its newest message, which
 * bounds the re-read after a later renumbering just as a cursor from a read would. Nothing is fetched
 * but that one message's UID and date.
 */
async function newestPosition(client: ImapFlow, uidValidity: string): Promise<MailboxPoll['cursor']> {
  const top = await topUid(client);
  // '*' is the last message by sequence number, which is the one with the highest UID; false when empty.
  const newest = top > 0 ? await client.fetchOne('*', { uid: true, internalDate: true }) : false;
  // UIDNEXT can lie past the last message (the newest was expunged); a message delivered while the
  // position is taken can lie past UIDNEXT. The position is the higher of the two.
  return {
    uid_validity: uidValidity,
    last_uid: Math.max(top, newest ? newest.uid : 0),
    last_date: newest ? isoDate(newest.internalDate) : undefined,
  };
}

/** The highest UID in the open mailbox, from UIDNEXT (sent with SELECT/EXAMINE), else by searching. */
async function topUid(client: ImapFlow): Promise<number> {
  const next = client.mailbox ? client.mailbox.uidNext : 0;
  if (Number.isInteger(next) && next > 0) return next - 1;
  return ((await client.search({ all: true }, { uid: true })) || []).reduce((a, b) => Math.max(a, b), 0);
}

/** IMAP SINCE compares whole days in the server's time zone: a day earlier cannot miss any. */
function dayBefore(iso: string): Date {
  const time = Date.parse(iso);
  return new Date((Number.isNaN(time) ? 0 : time) - 86_400_000);
}

function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function addresses(list: MessageAddressObject[] | undefined): string[] {
  return (list ?? []).map((a) => a.address).filter((a): a is string => typeof a === 'string' && a.length > 0);
}

function toMessage(message: FetchMessageObject, body: BodyText): FetchedMessage {
  const envelope = message.envelope ?? {};
  const sender = envelope.from?.[0];
  return {
    uid: message.uid,
    message_id: envelope.messageId ?? null,
    from: sender?.address ?? null,
    from_name: sender?.name || null,
    to: addresses(envelope.to),
    cc: addresses(envelope.cc),
    subject: envelope.subject ?? '',
    date: isoDate(envelope.date) ?? isoDate(message.internalDate) ?? null,
    in_reply_to: envelope.inReplyTo ?? null,
    text: body.text,
    text_source: body.source,
    text_truncated: body.truncated,
  };
}

/** Turns an imapflow failure into a KeelError: retriable when the server was unreachable, not for auth. */
function imapError(error: unknown, phase: 'connect' | 'read', imap: ImapConfig, password: string, aborted: boolean): KeelError {
  if (error instanceof KeelError) return error;
  const facts = factsOf(error);
  const server = `the IMAP server ${imap.host}:${imap.port}`;
  const said = (text: string | undefined) => (text ? ` (${redact(text, [password])})` : '');
  const base = { cause: error, details: { phase, imap_code: facts.code } };
  if (aborted) return new KeelError('action_failed', `Reading mail from ${server} was cancelled.`, { ...base, retriable: true });
  if ((error as { authenticationFailed?: unknown }).authenticationFailed === true) {
    return new KeelError('misconfigured', `${server.replace(/^t/, 'T')} refused the login of user ${imap.username}${said(facts.response)}.`, {
      ...base, retriable: false, hint: `Check the connector's imap username and the secret ${imap.password_secret}.`,
    });
  }
  if (isTlsFailure(error, facts)) {
    return new KeelError('misconfigured', `TLS with ${server} failed: ${redact(facts.message, [password])}.`, {
      ...base, retriable: false,
      hint: imap.secure
        ? 'Check the port (secure: true is for TLS from the start, usually 993) and that the certificate is valid for the host.'
        : 'The server did not offer or complete STARTTLS; set secure: true for port 993, or fix the server.',
    });
  }
  if ((error as { mailboxMissing?: unknown }).mailboxMissing === true || facts.code === 'NotFound') {
    return new KeelError('misconfigured', `The mailbox "${imap.mailbox}" does not exist on ${server}${said(facts.response)}.`, {
      ...base, retriable: false, hint: 'Check the connector\'s imap.mailbox (names are case-sensitive, except INBOX).',
    });
  }
  if (isUnreachable(facts)) {
    return new KeelError('action_failed', `Could not reach ${server}: ${redact(facts.message, [password])}.`, { ...base, retriable: true });
  }
  return new KeelError('action_failed', `Reading mail from ${server} failed: ${redact(facts.message, [password])}${said(facts.response)}.`, {
    ...base, retriable: true,
  });
}
