// Stand-ins for the systems the example workflows act on, so `npm start` can be tried on a laptop
// without any account: everything listens on 127.0.0.1 only and prints what it receives.
//   4390  helpdesk (connectors/helpdesk.yaml): files tickets, honours Idempotency-Key like a good API
//   4391  SMTP sink (connectors/support-mail.yaml): accepts every message, delivers none
//   4392  Slack Web API (connectors/people-slack.yaml): chat.postMessage, chat.update and the
//         history Keel reads to find an earlier post before retrying one; any xoxb- token is taken
// `npm run demo:services`; Ctrl-C stops them all.
import { createServer } from 'node:http';
import { SMTPServer } from 'smtp-server';

const host = '127.0.0.1';
const ports = { helpdesk: 4390, smtp: 4391, slack: 4392 };

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

// ---- helpdesk ----------------------------------------------------------------------------------

const tickets = new Map();
createServer(async (req, res) => {
  const body = await readBody(req);
  const key = req.headers['idempotency-key'];
  if (key && tickets.has(key)) {
    console.log(`helpdesk: repeat of ${key}: answered from memory, nothing filed twice`);
    return json(res, 200, tickets.get(key));
  }
  const answer = { filed: true, number: tickets.size + 1 };
  if (key) tickets.set(key, answer);
  console.log(`helpdesk: ${req.method} ${req.url} ${body}`);
  json(res, 201, answer);
}).listen(ports.helpdesk, host, () => console.log(`demo helpdesk on http://${host}:${ports.helpdesk}`));

// ---- SMTP sink ---------------------------------------------------------------------------------

/** The unfolded value of one header of a raw message, with =?utf-8?B|Q?...?= words decoded. */
function header(raw, name) {
  const head = raw.slice(0, raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const value = line ? line.slice(name.length + 1).trim() : '';
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_, charset, enc, text) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

/** The plain-text body of a single-part message, decoded; undefined for multipart mail. */
function textBody(raw) {
  if (/^multipart\//i.test(header(raw, 'Content-Type'))) return undefined;
  const body = raw.slice(raw.search(/\r?\n\r?\n/)).trim();
  const encoding = header(raw, 'Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

const smtp = new SMTPServer({
  logger: false,
  banner: 'Keel demo SMTP sink: nothing is delivered',
  // Any login or none: the sink only shows what a workflow would have sent.
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'demo' }),
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
      console.log(`mail: from ${session.envelope.mailFrom ? session.envelope.mailFrom.address : '<>'} to ${to}: ${header(raw, 'Subject')}`);
      const text = textBody(raw);
      if (text !== undefined) console.log(text.split(/\r?\n/).slice(0, 20).map((l) => `  | ${l}`).join('\n'));
      callback();
    });
  },
});
smtp.on('error', (error) => console.error(`mail: ${error.message}`));
smtp.listen(ports.smtp, host, () => console.log(`demo SMTP sink on ${host}:${ports.smtp}`));

// ---- Slack Web API -----------------------------------------------------------------------------

const channels = new Map();
let counter = 0;
createServer(async (req, res) => {
  const raw = await readBody(req);
  const method = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api\//, '');
  // The Web API client sends forms, with objects (metadata, blocks) as JSON text; others send JSON.
  let body;
  try {
    body = req.headers['content-type']?.startsWith('application/json') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw));
    for (const field of ['metadata', 'blocks']) if (typeof body[field] === 'string') body[field] = JSON.parse(body[field]);
  } catch {
    return json(res, 200, { ok: false, error: 'invalid_json' });
  }
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) return json(res, 200, { ok: false, error: 'not_authed' });
  if (!auth.startsWith('Bearer xoxb-')) return json(res, 200, { ok: false, error: 'invalid_auth' });
  const channel = String(body.channel ?? '');
  const messages = channels.get(channel) ?? [];
  channels.set(channel, messages);
  if (method === 'chat.postMessage') {
    if (!channel || !body.text) return json(res, 200, { ok: false, error: channel ? 'no_text' : 'channel_not_found' });
    const ts = `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;
    messages.unshift({ ts, text: String(body.text), thread_ts: body.thread_ts, metadata: body.metadata });
    console.log(`slack: ${channel}${body.thread_ts ? ` (thread ${body.thread_ts})` : ''}: ${body.text}`);
    return json(res, 200, { ok: true, channel, ts, message: { text: body.text } });
  }
  if (method === 'chat.update') {
    const found = messages.find((m) => m.ts === body.ts);
    if (!found) return json(res, 200, { ok: false, error: 'message_not_found' });
    found.text = String(body.text);
    console.log(`slack: ${channel} updated ${found.ts}: ${found.text}`);
    return json(res, 200, { ok: true, channel, ts: found.ts, text: found.text });
  }
  if (method === 'conversations.history' || method === 'conversations.replies') {
    const inThread = (m) => (method === 'conversations.replies' ? m.thread_ts === body.ts || m.ts === body.ts : m.thread_ts === undefined);
    const list = messages.filter(inThread).map((m) => ({ ts: m.ts, text: m.text, ...(m.metadata ? { metadata: m.metadata } : {}) }));
    return json(res, 200, { ok: true, messages: list, has_more: false, response_metadata: { next_cursor: '' } });
  }
  json(res, 200, { ok: false, error: 'unknown_method' });
}).listen(ports.slack, host, () => console.log(`demo Slack Web API on http://${host}:${ports.slack}/api/`));
