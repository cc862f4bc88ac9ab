// One OTLP batch taken apart: how long each stage of the receiver takes for 500 spans, alone, so a
// missed rate can be traced to its cause (decode, redaction and mapping, the span insert, the rollup
// upsert). The insert and the upsert run in transactions that are rolled back, so the table the
// benchmark verified is left as it was; the whole ingest commits (new trace ids each time).
import type { RedactionConfig } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { addToRollups, createRedactor, decodeTraceRequestProtobuf, insertNewSpans, type RunFacts } from '../../src/observe/index.js';
import { factsOf, ingestTraces, mapRequest } from '../../src/observe/otlp/ingest.js';
import { otlpBatch, setTraceIds } from './otlp-batch.js';

export interface BatchProfile {
  decodeMs: number;
  mapMs: number;
  insertMs: number;
  rollupMs: number;
  ingestMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

class Rollback extends Error {}

async function timedRolledBack(db: Db, work: (tx: Db) => Promise<unknown>): Promise<number> {
  let took = 0;
  try {
    await db.transaction(async (tx) => {
      const t0 = performance.now();
      await work(tx as Db);
      took = performance.now() - t0;
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return took;
}

export async function profileBatch(db: Db, redaction: RedactionConfig, rounds = 20): Promise<BatchProfile> {
  const batch = otlpBatch();
  const options = { redactor: createRedactor(redaction), access: { can: () => true }, priceOf: () => undefined };
  const kinds = new Map([['bench-script', 'external']]);
  const samples: Record<keyof BatchProfile, number[]> = { decodeMs: [], mapMs: [], insertMs: [], rollupMs: [], ingestMs: [] };
  for (let round = 0; round < rounds; round++) {
    setTraceIds(batch.body, batch.traceIdOffsets, 0xbe7c0000 + round, round);
    let t0 = performance.now();
    const request = decodeTraceRequestProtobuf(batch.body);
    samples.decodeMs.push(performance.now() - t0);
    t0 = performance.now();
    const mapped = mapRequest(request, kinds, options);
    samples.mapMs.push(performance.now() - t0);
    samples.insertMs.push(await timedRolledBack(db, (tx) => insertNewSpans(tx, mapped.records)));
    const facts = mapped.records.map((r, i) => factsOf(r, mapped.raw[i]!, options.priceOf)).filter((f): f is RunFacts => f !== null);
    samples.rollupMs.push(await timedRolledBack(db, (tx) => addToRollups(tx, facts)));
    setTraceIds(batch.body, batch.traceIdOffsets, 0xbe7d0000 + round, round);
    const fresh = decodeTraceRequestProtobuf(batch.body);
    t0 = performance.now();
    await ingestTraces(db, fresh, options);
    samples.ingestMs.push(performance.now() - t0);
  }
  return {
    decodeMs: median(samples.decodeMs), mapMs: median(samples.mapMs), insertMs: median(samples.insertMs),
    rollupMs: median(samples.rollupMs), ingestMs: median(samples.ingestMs),
  };
}
