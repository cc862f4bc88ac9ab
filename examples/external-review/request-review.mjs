#!/usr/bin/env node
// An external workflow asking Keel for a person's decision, end to end: it opens a review task with
// a callback URL, receives the signed decision on a small HTTP server of its own, checks the
// signature with keel/client, and prints what the person decided. Run it after `npm run build`:
//
//   KEEL_URL=http://127.0.0.1:4300 KEEL_TOKEN=keel_... KEEL_CALLBACK_SECRET=... \
//     node examples/external-review/request-review.mjs [workflow-id] [external-ref]
//
// The server must know the same KEEL_CALLBACK_SECRET, and (for this loopback callback) allow it
// with KEEL_EGRESS_ALLOW_HOSTS=127.0.0.1. Then decide the task in the dashboard or with
// `keel review approve <id>`.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createKeelClient, verifyCallback } from 'keel/client';

const env = process.env;
const [workflowId = 'invoice-matching', externalRef = `invoice-${randomUUID()}`] = process.argv.slice(2);
for (const name of ['KEEL_URL', 'KEEL_TOKEN', 'KEEL_CALLBACK_SECRET']) {
  if (!env[name]) {
    console.error(`set ${name} (see the comment at the top of this file)`);
    process.exit(2);
  }
}
const secret = env.KEEL_CALLBACK_SECRET;
const timeoutMs = Number(env.WAIT_MS ?? 3_600_000);

// Resolves with the decision once a verified decided/expired message for our task arrives.
let reviewId;
let settle;
const decided = new Promise((resolve) => (settle = resolve));
const seen = new Set();
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let verified;
    try {
      verified = verifyCallback(req.headers, raw, secret);
    } catch (error) {
      console.error(`refused a callback: ${error.message}`);
      res.writeHead(401).end();
      return;
    }
    // Answer at once: Keel retries anything but a 2xx, and the same message id may come twice.
    res.writeHead(204).end();
    if (seen.has(verified.id)) return;
    seen.add(verified.id);
    const { type, data } = verified.message;
    if (data.id === reviewId && (type === 'review:decided' || type === 'review:expired')) settle(data);
  });
});
await new Promise((resolve) => server.listen(Number(env.CALLBACK_PORT ?? 0), '127.0.0.1', resolve));
const callbackUrl = `http://127.0.0.1:${server.address().port}/keel-callback`;

const keel = createKeelClient({ baseUrl: env.KEEL_URL, token: env.KEEL_TOKEN });
const task = await keel.requestReview(workflowId, {
  title: 'Match invoice INV-2041 to PO-7781?',
  payload: { invoice: 'INV-2041', supplier: 'Acme Tools', amount_eur: 1840.5, purchase_order: 'PO-7781' },
  proposed: { match: 'PO-7781', confidence: 0.72 },
  external_ref: externalRef,
  callback_url: callbackUrl,
  priority: 'high',
  due: '4h',
});
reviewId = task.id;
console.log(`review ${task.id} ${task.created ? 'opened' : 'already open'} for ${workflowId}; waiting for a person (callback ${callbackUrl})`);

// Asked again with a reference whose task was decided long ago: no callback is coming, ask for it.
if (!['pending', 'escalated'].includes(task.status)) settle(await keel.getDecision(task.id));

const timer = setTimeout(() => {
  console.error(`no decision within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);
const decision = await decided;
clearTimeout(timer);
console.log(`decision: ${JSON.stringify({ review: decision.id, status: decision.status, decision: decision.decision, output: decision.output, decided_by: decision.decided_by, comment: decision.comment })}`);
server.close();
