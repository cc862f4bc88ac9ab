// The email connector kind against real servers on loopback: an in-process SMTP server
// (smtp-server, AUTH required) for `send`, and a private Dovecot (test/support/dovecot.ts) for
// `fetch_new` and pollMailbox. Nothing here leaves 127.0.0.1.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeelError, serializeError } from '../../src/errors.js';
import { emailConfigSchema, emailKind, pollMailbox, renderEmail, type EmailConfig } from '../../src/connectors/kinds/email.js';
import { sendInputSchema } from '../../src/connectors/kinds/email-message.js';
import type { ActionCall, ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { startSmtpTarget, type SmtpTarget } from '../support/connector-fixtures.js';
import { connectMailboxOwner, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { closedPort } from '../support/ports.js';

const smtpPassword = 'smtp-Pa55word-canary';

function contextWith(secrets: Record<string, string>, idempotencyKey = 'run-1:reply:1'): ConnectorContext {
  return {
    async secret(name) {
      const value = secrets[name];
      if (value === undefined) throw new KeelError('misconfigured', `The secret ${name} is not set.`);
      return value;
    },
    egress: { request: () => Promise.reject(new Error('the email connector must not use HTTP')) },
    idempotencyKey,
    signal: new AbortController().signal,
  };
}

/** Validates config and input the way the connector runtime does, then runs the action. */
async function runAction(name: 'send' | 'fetch_new', config: unknown, input: unknown, context: ConnectorContext): Promise<Record<string, unknown>> {
  const action = emailKind.actions[name];
  if (!action) throw new Error(`no action ${name}`);
  const call = { config: emailConfigSchema.parse(config), input: action.input.parse(input), context };
  return (await (action.run as (c: ActionCall<EmailConfig, unknown>) => Promise<unknown>)(call)) as Record<string, unknown>;
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

/** Every form in which a password could leak from an error: raw, base64, and the AUTH PLAIN blob. */
function expectNoSecret(error: KeelError, user: string, password: string): void {
  const cause = error.cause instanceof Error ? `${error.cause.message}\n${error.cause.stack ?? ''}` : String(error.cause);
  const text = [error.message, error.hint, JSON.stringify(serializeError(error)), cause].join('\n');
  for (const form of [password, Buffer.from(password).toString('base64'), Buffer.from(`\0${user}\0${password}`).toString('base64')]) {
    expect(text).not.toContain(form);
  }
}


function headersOf(raw: string): Map<string, string> {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return new Map(head.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
}

describe('email connector: send over SMTP', () => {
  let target: SmtpTarget;
  let received: SmtpTarget['messages'];
  let port: number;

  beforeAll(async () => {
    target = await startSmtpTarget('mailer', smtpPassword);
    received = target.messages;
    port = target.port;
  });
  afterAll(() => target.close());
  beforeEach(() => {
    received.length = 0;
  });

  const configFor = (extra: Record<string, unknown> = {}, smtp: Record<string, unknown> = {}) => ({
    smtp: { host: '127.0.0.1', port, starttls: 'never', username: 'mailer', password_secret: 'smtp_password', from: 'Keel Support <support@keel.example>', ...smtp },
    ...extra,
  });
  const reply = {
    to: ['Ada Lovelace <ada@customer.example>'], cc: ['"Doe, Jane" <jane@customer.example>'], subject: 'Re: Where is my order? – Ünïcode',
    text: 'It ships today.', html: '<p>It ships <b>today</b>.</p>', reply_to: 'help@keel.example',
    in_reply_to: '<m1@customer.example>', references: ['<m0@customer.example>', '<m1@customer.example>'],
  };
  const secrets = { smtp_password: smtpPassword };

  it('sends the message with its headers and answers the deterministic Message-ID', async () => {
    const first = await runAction('send', configFor(), reply, contextWith(secrets, 'run-7:reply:1'));
    const again = await runAction('send', configFor(), reply, contextWith(secrets, 'run-7:reply:1'));
    const other = await runAction('send', configFor(), reply, contextWith(secrets, 'run-8:reply:1'));

    expect(first.message_id).toMatch(/^<keel-[0-9a-f]{40}@keel\.example>$/);
    expect(again.message_id).toBe(first.message_id);
    expect(other.message_id).not.toBe(first.message_id);
    expect(first.accepted).toEqual(['ada@customer.example', 'jane@customer.example']);
    expect(first.rejected).toEqual([]);
    expect(received).toHaveLength(3);
    const [mail] = received;
    expect(mail?.from).toBe('support@keel.example');
    expect(mail?.to).toEqual(['ada@customer.example', 'jane@customer.example']);
    const headers = headersOf(mail?.raw ?? '');
    expect(headers.get('message-id')).toBe(first.message_id);
    expect(headersOf(received[1]?.raw ?? '').get('message-id')).toBe(first.message_id);
    expect(headers.get('from')).toBe('Keel Support <support@keel.example>');
    expect(headers.get('to')).toBe('Ada Lovelace <ada@customer.example>');
    expect(headers.get('cc')).toBe('"Doe, Jane" <jane@customer.example>');
    expect(headers.get('reply-to')).toBe('help@keel.example');
    expect(headers.get('in-reply-to')).toBe('<m1@customer.example>');
    expect(headers.get('references')).toBe('<m0@customer.example> <m1@customer.example>');
    expect(headers.get('subject')).toMatch(/^=\?UTF-8\?/); // encoded, not raw 8-bit
    expect(headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(mail?.raw).toContain('It ships today.');
  });

  it('renders the exact message without credentials, with the Message-ID a send would use', () => {
    const config = emailConfigSchema.parse(configFor());
    const input = sendInputSchema.parse(reply);
    const rendered = renderEmail(config, input, 'run-7:reply:1');
    expect(rendered.headers['Message-ID']).toMatch(/^<keel-[0-9a-f]{40}@keel\.example>$/);
    expect(rendered).toMatchObject({ from: { name: 'Keel Support', address: 'support@keel.example' }, subject: reply.subject, text: reply.text, html: reply.html });
    const viaKind = emailKind.actions.send?.render(config, input as never) as { headers: Record<string, string> };
    expect(viaKind.headers['Message-ID']).toContain('idempotency key');
    const text = JSON.stringify([rendered, viaKind]);
    expect(text).not.toContain(smtpPassword);
    expect(text).not.toContain('mailer');
  });

  it('refuses line breaks in the subject and addresses, lists of addresses, and unknown fields', async () => {
    const problems = (input: unknown) => sendInputSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(problems({ ...reply, subject: 'Hi\r\nBcc: spy@evil.example' })).toEqual(['subject']);
    expect(problems({ ...reply, to: ['ada@customer.example\r\nBcc: spy@evil.example'] })).toEqual(['to.0']);
    expect(problems({ ...reply, to: ['ada@customer.example, spy@evil.example'] })).toEqual(['to.0']);
    expect(problems({ ...reply, reply_to: 'Ada <ada@customer.example>\nX-Injected: 1' })).toEqual(['reply_to']);
    expect(problems({ ...reply, in_reply_to: '<m1@customer.example>\r\nBcc: spy@evil.example' })).toEqual(['in_reply_to']);
    expect(problems({ ...reply, bcc: ['spy@evil.example'] })).toEqual(['']);
    expect(problems(reply)).toBeUndefined();
    expect(received).toHaveLength(0);

    // Even a caller that skipped validation cannot add a header: nodemailer folds line breaks away.
    const send = emailKind.actions.send?.run as (c: ActionCall<EmailConfig, unknown>) => Promise<unknown>;
    const config = emailConfigSchema.parse(configFor());
    await send({ config, input: { ...reply, subject: 'Hi\r\nBcc: spy@evil.example' }, context: contextWith(secrets) });
    expect(received).toHaveLength(1);
    expect(headersOf(received[0]?.raw ?? '').has('bcc')).toBe(false);
    expect(received[0]?.to).not.toContain('spy@evil.example');
  });

  it('refuses recipients outside allowed_recipient_domains before connecting, in run and in render', async () => {
    const config = configFor({ allowed_recipient_domains: ['Customer.example'] });
    const input = { ...reply, cc: ['other@partner.example', 'x@sub.customer.example'] };
    const error = await failure(runAction('send', config, input, contextWith(secrets)));
    expect(error.code).toBe('permission_denied');
    expect(error.retriable).toBe(false);
    expect(error.problems.map((p) => p.path)).toEqual(['cc[0]', 'cc[1]']);
    expect(() => renderEmail(emailConfigSchema.parse(config), sendInputSchema.parse(input))).toThrow(/may only send to customer\.example/);
    expect(received).toHaveLength(0);
    await runAction('send', config, reply, contextWith(secrets));
    expect(received).toHaveLength(1);
  });

  it('refuses more distinct recipients than max_recipients', async () => {
    const to = ['a@customer.example', 'b@customer.example', 'A@customer.example'];
    const error = await failure(runAction('send', configFor({ max_recipients: 1 }), { ...reply, to, cc: [] }, contextWith(secrets)));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('2 recipients');
    expect(received).toHaveLength(0);
  });

  it('answers recipients the server refused beside those it accepted', async () => {
    const out = await runAction('send', configFor(), { ...reply, cc: ['nobody@customer.example'] }, contextWith(secrets));
    expect(out).toMatchObject({ accepted: ['ada@customer.example'], rejected: ['nobody@customer.example'] });
  });

  it('reports a refused login as misconfigured, naming the user and never the password', async () => {
    const wrong = 'wrong-Pa55word-canary';
    const error = await failure(runAction('send', configFor(), reply, contextWith({ smtp_password: wrong })));
    expect(error.code).toBe('misconfigured');
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/refused the login of user mailer.*535/);
    expect(error.details).toMatchObject({ sent: false, phase: 'login' });
    expectNoSecret(error, 'mailer', wrong);
    expect(received).toHaveLength(0);
  });

  it('reports an unreachable server as retriable with nothing sent', async () => {
    const error = await failure(runAction('send', configFor({}, { port: await closedPort() }), reply, contextWith(secrets)));
    expect(error.code).toBe('action_failed');
    expect(error.retriable).toBe(true);
    expect(error.details).toMatchObject({ sent: false, phase: 'connect' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('with starttls: require, refuses a server that does not upgrade, before logging in', async () => {
    const error = await failure(runAction('send', configFor({}, { starttls: 'require' }), reply, contextWith(secrets)));
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('TLS');
    expect(received).toHaveLength(0);
  });

  it('refuses a config that would send the password in cleartext to another host', () => {
    const result = emailConfigSchema.safeParse(configFor({}, { host: 'mail.example.com', starttls: 'opportunistic' }));
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['smtp.starttls']);
    expect(emailConfigSchema.parse(configFor({}, { host: 'mail.example.com', starttls: undefined })).smtp.starttls).toBe('require');
  });

  it('leaves the outcome unknown when the connection drops while the body is sent', async () => {
    const dropper = await startDroppingSmtp();
    try {
      const error = await failure(runAction('send', configFor({}, { port: dropper.port }), reply, contextWith(secrets)));
      expect(dropper.bodyBytes()).toBeGreaterThan(0);
      expect(error.code).toBe('outcome_unknown');
      expect(error.retriable).toBe(false);
    } finally {
      await dropper.close();
    }
  });
});

/** Speaks just enough SMTP to take the envelope, then drops the connection once the body starts. */
async function startDroppingSmtp(): Promise<{ port: number; bodyBytes(): number; close(): Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let inBody = false;
    socket.write('220 drop.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      if (inBody) {
        bytes += chunk.length;
        socket.destroy();
        return;
      }
      for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-drop.test\r\n250 AUTH PLAIN\r\n');
        else if (verb === 'AUTH') socket.write('235 2.7.0 Accepted\r\n');
        else if (verb === 'DATA') {
          inBody = true;
          socket.write('354 Go ahead\r\n');
        } else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodyBytes: () => bytes,
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

describe('email connector: fetch_new and pollMailbox over IMAP (Dovecot)', () => {
  let dovecot: DovecotServer;
  let admin: ImapFlow;
  const imapSecrets = () => ({ smtp_password: smtpPassword, imap_password: dovecot.password });

  beforeAll(async () => {
    dovecot = await startDovecot();
    admin = await connectMailboxOwner(dovecot);
  });
  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  const configFor = (mailbox: string, imap: Record<string, unknown> = {}) => ({
    smtp: { host: '127.0.0.1', port: 2525, starttls: 'never', from: 'support@keel.example' },
    imap: { host: dovecot.host, port: dovecot.port, starttls: 'never', username: dovecot.username, password_secret: 'imap_password', mailbox, ...imap },
  });
  const plain = (n: number, extra = '') =>
    `From: Ada <ada@customer.example>\r\nTo: support@keel.example\r\nCc: ops@keel.example\r\nSubject: Order ${n}\r\n` +
    `Message-ID: <order-${n}@customer.example>\r\nDate: Mon, 6 May 2024 10:0${n}:00 +0000\r\n${extra}\r\nWhere is order ${n}?\r\n`;
  async function mailboxWith(name: string, ...messages: string[]): Promise<void> {
    await admin.mailboxCreate(name);
    for (const message of messages) await admin.append(name, message);
  }

  it('reads messages after a uid, oldest first, up to the limit, then nothing new with the cursor, marking none seen', async () => {
    await mailboxWith('Poll', plain(1), plain(2, 'In-Reply-To: <keel-abc@keel.example>\r\n'), plain(3));
    const config = configFor('Poll');
    const first = await runAction('fetch_new', config, { limit: 2 }, contextWith(imapSecrets()));
    const messages = first.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.subject)).toEqual(['Order 1', 'Order 2']);
    expect(messages[0]).toMatchObject({
      uid: 1, message_id: '<order-1@customer.example>', from: 'ada@customer.example', from_name: 'Ada', to: ['support@keel.example'],
      cc: ['ops@keel.example'], date: '2024-05-06T10:01:00.000Z', text: 'Where is order 1?', text_source: 'plain', in_reply_to: null,
    });
    expect(messages[1]?.in_reply_to).toBe('<keel-abc@keel.example>');
    expect(first).toMatchObject({ last_uid: 2, more: true, reset: false });
    expect(first.uid_validity).toMatch(/^\d+$/);

    const second = await runAction('fetch_new', config, { after_uid: first.last_uid, uid_validity: first.uid_validity }, contextWith(imapSecrets()));
    expect((second.messages as Array<{ subject: string }>).map((m) => m.subject)).toEqual(['Order 3']);
    expect(second).toMatchObject({ last_uid: 3, more: false });

    const parsed = emailConfigSchema.parse(config);
    const cursor = { uid_validity: String(second.uid_validity), last_uid: Number(second.last_uid) };
    const idle = await pollMailbox(parsed, contextWith(imapSecrets()), cursor);
    expect(idle).toMatchObject({ messages: [], cursor: { last_uid: 3, uid_validity: cursor.uid_validity }, reset: false, more: false });
    await admin.append('Poll', plain(4));
    const next = await pollMailbox(parsed, contextWith(imapSecrets()), idle.cursor);
    expect(next.messages.map((m) => m.uid)).toEqual([4]);

    // Reading is EXAMINE only: nothing was marked seen.
    const lock = await admin.getMailboxLock('Poll');
    try {
      const flags = await admin.fetchAll('1:*', { uid: true, flags: true }, { uid: true });
      expect(flags.map((m) => m.flags?.has('\\Seen'))).toEqual([false, false, false, false]);
    } finally {
      lock.release();
    }
  });

  it('prefers the text/plain part and converts HTML-only mail to text', async () => {
    const boundary = 'b1';
    const alternative = `From: bob@customer.example\r\nTo: support@keel.example\r\nSubject: Both\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/alternative; boundary=${boundary}\r\n\r\n--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Transfer-Encoding: quoted-printable\r\n\r\nPlain caf=C3=A9\r\n--${boundary}\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--${boundary}--\r\n`;
    const htmlOnly = 'From: carol@customer.example\r\nTo: support@keel.example\r\nSubject: Html\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{color:red}</style></head><body><p>Hello &amp; welcome</p>' +
      '<script>alert(1)</script><ul><li>one</li><li>two</li></ul>Fish &lt;3 chips&#33;</body></html>\r\n';
    await mailboxWith('Bodies', alternative, htmlOnly);
    const out = await runAction('fetch_new', configFor('Bodies'), {}, contextWith(imapSecrets()));
    const [both, html] = out.messages as Array<Record<string, unknown>>;
    expect(both).toMatchObject({ text: 'Plain café', text_source: 'plain', text_truncated: false });
    expect(html).toMatchObject({ text: 'Hello & welcome\n\n- one\n- two\nFish <3 chips!', text_source: 'html' });
  });

  it('resets the cursor when the mailbox UIDVALIDITY changes', async () => {
    await mailboxWith('Reset', plain(1), plain(2));
    const config = emailConfigSchema.parse(configFor('Reset'));
    const before = await pollMailbox(config, contextWith(imapSecrets()), null);
    expect(before.cursor.last_uid).toBe(2);
    expect(before.cursor.last_date).toBeDefined();
    // Recreating the mailbox renumbers it: same name, new UIDVALIDITY, UIDs from 1 again.
    // UID 1 arrived now; UID 2 carries an old internal date (mail seen long before the renumbering).
    await admin.mailboxDelete('Reset');
    await mailboxWith('Reset', plain(5));
    await admin.append('Reset', plain(0), [], new Date('2020-01-01T00:00:00Z'));
    const after = await pollMailbox(config, contextWith(imapSecrets()), before.cursor);
    expect(after.reset).toBe(true);
    expect(after.cursor.uid_validity).not.toBe(before.cursor.uid_validity);
    expect(after.messages.map((m) => m.message_id)).toEqual(['<order-5@customer.example>']);
    expect(after.cursor.last_uid).toBe(2);
    expect((await pollMailbox(config, contextWith(imapSecrets()), after.cursor)).messages).toEqual([]);

    // Without a date to bound it, a reset reads the renumbered mailbox from its oldest message.
    const stale = await runAction('fetch_new', configFor('Reset'), { after_uid: 40, uid_validity: '1' }, contextWith(imapSecrets()));
    expect(stale).toMatchObject({ reset: true, last_uid: 2 });
    expect((stale.messages as unknown[]).length).toBe(2);
  });

  it("starts from the newest message when asked, so a new trigger skips the mailbox's history", async () => {
    await mailboxWith('Fresh', plain(1), plain(2));
    const config = emailConfigSchema.parse(configFor('Fresh'));
    const start = await pollMailbox(config, contextWith(imapSecrets()), null, { start: 'newest' });
    expect(start).toMatchObject({ messages: [], cursor: { last_uid: 2 } });
    await admin.append('Fresh', plain(3));
    expect((await pollMailbox(config, contextWith(imapSecrets()), start.cursor)).messages.map((m) => m.subject)).toEqual(['Order 3']);
  });

  it('reports an unreachable server as retriable, and a missing mailbox or TLS refusal as misconfigured', async () => {
    const down = await failure(runAction('fetch_new', configFor('Poll', { port: await closedPort() }), {}, contextWith(imapSecrets())));
    expect(down).toMatchObject({ code: 'action_failed', retriable: true });
    const missing = await failure(runAction('fetch_new', configFor('Nope'), {}, contextWith(imapSecrets())));
    expect(missing).toMatchObject({ code: 'misconfigured', retriable: false });
    expect(missing.message).toContain('"Nope" does not exist');
    const tls = await failure(runAction('fetch_new', configFor('Poll', { starttls: 'require' }), {}, contextWith(imapSecrets())));
    expect(tls).toMatchObject({ code: 'misconfigured', retriable: false });
    expect(tls.message).toContain('TLS');
  });

  it('refuses to read without an imap section', async () => {
    const error = await failure(runAction('fetch_new', { smtp: configFor('x').smtp }, {}, contextWith(imapSecrets())));
    expect(error.code).toBe('misconfigured');
  });

  // Last: Dovecot slows down logins from an address after a failed one (auth penalty).
  it('reports a refused login as misconfigured without the password', async () => {
    const wrong = 'imap-wrong-canary';
    const error = await failure(runAction('fetch_new', configFor('Poll'), {}, contextWith({ imap_password: wrong })));
    expect(error.code).toBe('misconfigured');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`refused the login of user ${dovecot.username}`);
    expectNoSecret(error, dovecot.username, wrong);
  });
});
