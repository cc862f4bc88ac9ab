// An open-loop webhook sender: request i is due at start + i / rate, whatever happened to earlier
// ones, so a slow server shows up as queueing in the latency (measured from the due time to the end
// of the response). Standard Webhooks signatures; loopback only. Results go to the parent.
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../src/connectors/index.js';
import { fromParent, tellParent } from '../lib/children.js';

const url = process.env.BENCH_URL!;
if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`refusing to send to ${url}: loopback only`);
const ratePerSec = Number(process.env.BENCH_RATE ?? 200);
const durationSec = Number(process.env.BENCH_DURATION_S ?? 15);
const warmupSec = Number(process.env.BENCH_WARMUP_S ?? 2);
const secret = process.env.BENCH_SECRET!;

const intervalMs = 1000 / ratePerSec;
const total = Math.round((warmupSec + durationSec) * ratePerSec);
const warmup = Math.round(warmupSec * ratePerSec);
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let lateStarts = 0;

async function send(i: number, due: number): Promise<void> {
  const body = JSON.stringify({ n: i });
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  let status: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({ id, timestamp, body, secret }),
      },
      body,
    });
    await res.arrayBuffer();
    status = String(res.status);
  } catch (error) {
    status = `error: ${(error as Error).message}`;
  }
  if (i < warmup) return;
  latencies.push(performance.now() - due);
  statuses[status] = (statuses[status] ?? 0) + 1;
}

await fromParent('go');
const start = performance.now() + 50;
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + i * intervalMs;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  else if (wait < -5 && i >= warmup) lateStarts++;
  pending.push(send(i, due));
}
await Promise.all(pending);
tellParent({ type: 'done', latencies, statuses, lateStarts, sent: total - warmup, wallMs: performance.now() - start });
process.exit(0);
