// OTLP/HTTP clients for the ingest benchmark: BENCH_CLIENTS loops, each POSTing a 500-span
// ExportTraceServiceRequest as soon as its previous one is answered (closed loop, as a
// BatchSpanProcessor does), for BENCH_DURATION_S. With BENCH_RATE (spans/s) the clients instead
// send on a schedule that adds up to that rate, and latency counts from each request's due time, so
// a server that falls behind shows it as queueing. The batch is made once with the OpenTelemetry SDK
// and encoded once with the official serializer; each request then gets fresh trace ids by
// rewriting the id bytes in place, so every span is new to Keel and the client costs almost nothing.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { fromParent, tellParent } from '../lib/children.js';
import { otlpBatch, setTraceIds } from '../lib/otlp-batch.js';

const url = process.env.BENCH_URL!;
if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`refusing to send to ${url}: loopback only`);
const token = process.env.BENCH_TOKEN!;
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const durationSec = Number(process.env.BENCH_DURATION_S ?? 20);
const warmupSec = Number(process.env.BENCH_WARMUP_S ?? 2);
const ratePerSec = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;

const { body: base, traceIdOffsets, spans: spansPerBatch } = otlpBatch();
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let acceptedSpans = 0;
let rejectedSpans = 0;
/** Including the warm-up: what the table must hold at the end. */
let acceptedInAll = 0;

async function client(id: number, start: number, until: number, measureFrom: number): Promise<void> {
  const body = Uint8Array.from(base);
  // Paced: this client's requests are due every `interval` ms, the clients staggered evenly.
  const interval = ratePerSec === undefined ? 0 : (clients * spansPerBatch * 1000) / ratePerSec;
  for (let seq = 0; performance.now() < until; seq++) {
    setTraceIds(body, traceIdOffsets, (process.pid << 8) | id, seq);
    let t0 = performance.now();
    if (ratePerSec !== undefined) {
      const due = start + (id * interval) / clients + seq * interval;
      if (due > t0) await new Promise((resolve) => setTimeout(resolve, due - t0));
      t0 = due;
      if (due >= until) break;
    }
    let status: string;
    try {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` } });
      const answer = new Uint8Array(await res.arrayBuffer());
      status = String(res.status);
      if (res.status === 200) {
        const partial = answer.length > 0 ? Number(ProtobufTraceSerializer.deserializeResponse(answer).partialSuccess?.rejectedSpans ?? 0) : 0;
        acceptedInAll += spansPerBatch - partial;
        if (t0 >= measureFrom) {
          rejectedSpans += partial;
          acceptedSpans += spansPerBatch - partial;
        }
      }
    } catch (error) {
      status = `error: ${(error as Error).message}`;
    }
    if (t0 < measureFrom) continue;
    latencies.push(performance.now() - t0);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}

await fromParent('go');
const start = performance.now();
const measureFrom = start + warmupSec * 1000;
const until = measureFrom + durationSec * 1000;
await Promise.all(Array.from({ length: clients }, (_, i) => client(i, start, until, measureFrom)));
tellParent({ type: 'done', latencies, statuses, acceptedSpans, rejectedSpans, acceptedInAll, bodyBytes: base.length, wallMs: performance.now() - measureFrom });
process.exit(0);
