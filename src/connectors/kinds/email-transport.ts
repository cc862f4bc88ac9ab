// What the SMTP and IMAP sides of the email connector share: how a mail server is addressed, when a
// password may cross the wire, and how the libraries' connection failures become KeelErrors whose
// text can never carry the password (the server's own reply is kept, with any secret scrubbed).
import { isIP } from 'node:net';
import { z } from 'zod';
import { sensitiveForms } from './http-exchange.js';

/**
 * How a connection that is not TLS from the start (`secure: false`) treats STARTTLS:
 * `require` fails unless the server upgrades, `opportunistic` upgrades when the server offers it
 * (a server that offers it and then fails the handshake is still an error, never a silent
 * downgrade), `never` stays in cleartext.
 */
export const starttlsModes = ['require', 'opportunistic', 'never'] as const;
export type StarttlsMode = (typeof starttlsModes)[number];

/** The fields every mail server entry has; the default STARTTLS mode is `require` for every host. */
export const serverFields = {
  /** Host name or address of the server. */
  host: z.string().min(1).max(253).regex(/^[^\s/@]+$/, 'a host name or address, without scheme, path or user'),
  port: z.number().int().min(1).max(65_535),
  /** TLS from the first byte (ports 465 for SMTP, 993 for IMAP). */
  secure: z.boolean().default(false),
  // One default for every host, loopback included: the meaning of a config never depends on where
  // it points, and a cleartext relay must be written down as `never`, visibly, in the config.
  starttls: z.enum(starttlsModes).default('require'),
  /** Budget for connecting and for the server's greeting, in milliseconds. */
  timeout_ms: z.number().int().min(1_000).max(300_000).default(30_000),
};

/** 127.0.0.0/8, ::1 and `localhost`: the only places a password may be sent without TLS. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}

interface ServerWithPassword {
  host: string;
  secure: boolean;
  starttls: StarttlsMode;
  password_secret?: string | undefined;
}

/**
 * Refuses a config that could send the password in cleartext to another machine: without
 * `secure` or `starttls: require`, a stripped STARTTLS offer is enough to read it on the way.
 */
export function refuseCleartextPassword(server: ServerWithPassword, ctx: z.RefinementCtx): void {
  if (!server.password_secret || server.secure || server.starttls === 'require' || isLoopbackHost(server.host)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['starttls'],
    message: `starttls "${server.starttls}" could send the password to ${server.host} unencrypted; use secure: true or starttls: require (cleartext is allowed only to a loopback host).`,
  });
}

/** Replaces a secret, and the encodings SASL puts on the wire, wherever a server echoed it back. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const form of sensitiveForms(secrets.filter((s): s is string => Boolean(s)))) out = out.split(form).join('[redacted]');
  // AUTH PLAIN carries "\0user\0password" in base64: any long base64 run next to AUTH goes too.
  return out.replace(/(AUTH\s+\w+\s+)[A-Za-z0-9+/=]{8,}/gi, '$1[redacted]');
}

/** Error codes of Node, nodemailer and imapflow that mean "the server was not reachable (yet)". */
const unreachableCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT',
  'ECONNECTION', 'ESOCKET', 'EDNS', 'EPROTOCOL', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT',
  'ETIMEOUT', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS',
]);

/** What a library error says about itself, read defensively (both libraries attach extra fields). */
export interface MailErrorFacts {
  code?: string;
  originalCode?: string;
  message: string;
  /** The server's reply, when there was one. */
  response?: string;
  responseCode?: number;
  /** The protocol command in flight, e.g. "MAIL FROM" or "AUTH PLAIN". */
  command?: string;
}

export function factsOf(error: unknown): MailErrorFacts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  return {
    code: text(e.code),
    originalCode: text(e.originalCode),
    message: (error instanceof Error ? error.message : String(error)).trim().replace(/[.:]$/, ''),
    response: text(e.responseText) ?? text(e.response),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    command: text(e.command),
  };
}

export function isUnreachable(facts: MailErrorFacts): boolean {
  return [facts.code, facts.originalCode].some((code) => code !== undefined && unreachableCodes.has(code));
}

/** TLS failures (untrusted or mismatched certificate, refused STARTTLS) are configuration, not luck. */
export function isTlsFailure(error: unknown, facts: MailErrorFacts): boolean {
  if ((error as { tlsFailed?: unknown } | null)?.tlsFailed === true) return true;
  if (facts.code === 'ETLS' || facts.code === 'EREQUIRETLS' || facts.code === 'STARTTLS_INJECTION') return true;
  const code = facts.originalCode ?? facts.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/.test(code);
}
