// Sending one message over SMTP with nodemailer's SMTPConnection, used directly rather than through
// a transport because the phase a failure happens in decides what it means for an `unsafe` action:
// before the message is handed over (connect, TLS, login, envelope refused) nothing was sent and a
// retry is safe; once the body is on its way, a dropped connection leaves the outcome unknown, and
// only a person may decide whether to send again.
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import { z } from 'zod';
import { KeelError } from '../../errors.js';
import type { ConnectorContext } from './kind.js';
import { type ComposedMessage, mailboxText, parseMailbox, type Mailbox } from './email-message.js';
import { factsOf, isTlsFailure, isUnreachable, redact, refuseCleartextPassword, serverFields, type MailErrorFacts } from './email-transport.js';

/** The outgoing server. `password_secret` names a secret (never its value); it needs `username`. */
export const smtpConfigSchema = z
  .strictObject({
    ...serverFields,
    username: z.string().min(1).optional(),
    password_secret: z.string().min(1).optional(),
    /** The sender of every message, `name@example.com` or `Name <name@example.com>`. */
    from: mailboxText,
  })
  .superRefine((smtp, ctx) => {
    if (smtp.password_secret && !smtp.username) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required with password_secret' });
    }
    refuseCleartextPassword(smtp, ctx);
  });
export type SmtpConfig = z.output<typeof smtpConfigSchema>;

export function senderOf(smtp: SmtpConfig): Mailbox {
  // The schema already checked it; parse again for the structured form.
  return parseMailbox(smtp.from) as Mailbox;
}

export interface SendResult {
  message_id: string;
  accepted: string[];
  rejected: string[];
  /** The server's final reply, e.g. "250 2.0.0 Ok: queued as 4B2C1", for tracing the message there. */
  server_response: string;
}

type Phase = 'connect' | 'login' | 'send';

/** Builds the raw message exactly as composed; file and URL access are off, so no body can pull either in. */
async function buildRaw(message: ComposedMessage): Promise<Buffer> {
  const composer = new MailComposer({
    from: message.from, to: message.to, cc: message.cc, replyTo: message.reply_to,
    subject: message.subject, text: message.text, html: message.html,
    messageId: message.headers['Message-ID'], inReplyTo: message.headers['In-Reply-To'],
    references: message.headers.References,
    disableFileAccess: true, disableUrlAccess: true, xMailer: false,
  });
  return composer.compile().build();
}

/** Sends the composed message and answers what the server accepted. */
export async function sendMessage(smtp: SmtpConfig, message: ComposedMessage, context: ConnectorContext): Promise<SendResult> {
  const password = smtp.password_secret ? await context.secret(smtp.password_secret) : undefined;
  const raw = await buildRaw(message);
  const envelope = { from: message.from.address, to: [...message.to, ...message.cc].map((m) => m.address) };
  const info = await exchange(smtp, password, envelope, raw, context.signal);
  return {
    message_id: message.headers['Message-ID'] ?? '',
    accepted: info.accepted.map(String),
    rejected: info.rejected.map(String),
    server_response: redact(info.response, [password]),
  };
}

function exchange(
  smtp: SmtpConfig, password: string | undefined, envelope: { from: string; to: string[] }, raw: Buffer, signal: AbortSignal,
): Promise<SMTPConnectionSendInfo> {
  return new Promise((resolve, reject) => {
    let phase: Phase = 'connect';
    let settled = false;
    const connection = new SMTPConnection({
      host: smtp.host, port: smtp.port, secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.starttls === 'require',
      ignoreTLS: smtp.starttls === 'never',
      connectionTimeout: smtp.timeout_ms, greetingTimeout: smtp.timeout_ms, socketTimeout: Math.max(60_000, smtp.timeout_ms),
      tls: { minVersion: 'TLSv1.2' },
      logger: false,
    });
    const finish = (error: unknown, info?: SMTPConnectionSendInfo) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error || !info) {
        connection.close();
        reject(smtpError(error, phase, smtp, password));
      } else {
        connection.quit();
        resolve(info);
      }
    };
    const onAbort = () => finish(Object.assign(new Error('The step was cancelled'), { code: 'EABORT' }));
    if (signal.aborted) return finish(Object.assign(new Error('The step was cancelled'), { code: 'EABORT' }));
    signal.addEventListener('abort', onAbort, { once: true });
    // Errors also arrive as events (and an unheard 'error' event would crash the process).
    connection.on('error', (error) => finish(error));
    connection.connect((error) => {
      if (error) return finish(error);
      const send = () => {
        phase = 'send';
        connection.send(envelope, raw, (err, info) => finish(err, info));
      };
      if (password === undefined) return send();
      phase = 'login';
      connection.login({ user: smtp.username, pass: password }, (err) => (err ? finish(err) : send()));
    });
  });
}

/** Turns a nodemailer failure into a KeelError that says what happened and whether to retry. */
function smtpError(error: unknown, phase: Phase, smtp: SmtpConfig, password: string | undefined): KeelError {
  const facts = factsOf(error);
  const server = `the SMTP server ${smtp.host}:${smtp.port}`;
  const reply = facts.response ? ` (${redact(facts.response, [password])})` : '';
  const notSent = (message: string, retriable: boolean, hint: string) =>
    new KeelError('action_failed', message, { retriable, hint, cause: error, details: { sent: false, phase, smtp_code: facts.code } });
  if (phase === 'send') return sendPhaseError(error, facts, server, reply, notSent);
  if (facts.code === 'EABORT') return notSent(`Sending was cancelled before ${server} received the message.`, true, 'Nothing was sent.');
  if (facts.code === 'EAUTH' || facts.code === 'ENOAUTH') {
    return new KeelError('misconfigured', `${capital(server)} refused the login of user ${smtp.username ?? '(none)'}${reply}.`, {
      retriable: false, cause: error, details: { sent: false, phase },
      hint: `Check the connector's username and the secret ${smtp.password_secret ?? '(none)'}; nothing was sent.`,
    });
  }
  if (isTlsFailure(error, facts)) {
    return new KeelError('misconfigured', `TLS with ${server} failed: ${redact(facts.message, [password])}.`, {
      retriable: false, cause: error, details: { sent: false, phase },
      hint: smtp.secure
        ? 'Check the port (secure: true is for TLS from the start, usually 465) and that the server certificate is valid for the host.'
        : 'The server did not upgrade with STARTTLS or its certificate is not trusted; set secure: true for port 465, or fix the certificate.',
    });
  }
  if (isUnreachable(facts)) {
    return notSent(`Could not reach ${server}: ${redact(facts.message, [password])}.`, true, 'Nothing was sent; the step may be retried.');
  }
  return notSent(`${capital(server)} failed before the message was sent: ${redact(facts.message, [password])}.`, true, 'Nothing was sent; the step may be retried.');
}

/** During `send`, only a definite answer from the server proves the message was not taken. */
function sendPhaseError(
  error: unknown, facts: MailErrorFacts, server: string, reply: string,
  notSent: (message: string, retriable: boolean, hint: string) => KeelError,
): KeelError {
  const transient = facts.responseCode !== undefined && facts.responseCode >= 400 && facts.responseCode < 500;
  if (facts.code === 'EENVELOPE') {
    return notSent(`${capital(server)} refused the sender or recipients${reply}.`, transient, transient ? 'The server asked to try later.' : 'Check the addresses; nothing was sent.');
  }
  // A reply to the body, or nodemailer's own size check before MAIL FROM: either way not taken.
  if (facts.code === 'EMESSAGE' && (facts.responseCode !== undefined || facts.command === 'MAIL FROM')) {
    return notSent(`${capital(server)} rejected the message${reply}.`, transient, transient ? 'The server asked to try later.' : 'Nothing was sent.');
  }
  return new KeelError('outcome_unknown', `The connection to ${server} ended while the message was being sent (${facts.message}); it may or may not have been delivered.`, {
    retriable: false, cause: error, details: { sent: 'unknown', phase: 'send' },
    hint: 'Look for the Message-ID in the recipient mailbox or the server log, then reconcile the run; Keel never resends by itself.',
  });
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
