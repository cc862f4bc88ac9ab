import { openPostgres, migrate } from '../src/db/index.js';
import { createPostgresDatabase } from './lib/databases.js';
import { otlpBatch, setTraceIds } from './lib/otlp-batch.js';
import { createRedactor, decodeTraceRequestProtobuf, insertNewSpans } from '../src/observe/index.js';
import { mapRequest } from '../src/observe/otlp/ingest.js';
import { configSchema } from '../src/config/index.js';
const created = await createPostgresDatabase();
const db = await openPostgres({ url: created.url, poolSize: 4 });
await migrate(db);
await db.query(`INSERT INTO workflows (id, kind, title, owner, risk) VALUES ('bench-script','external','b','o@example.com','low')`);
const batch = otlpBatch();
const redactor = createRedactor(configSchema.parse({}).observe.redaction);
const opts = { redactor, access: { can: () => true } };
const kinds = new Map([['bench-script', 'external']]);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
const t = { stringify: [] as number[], insert: [] as number[], map: [] as number[] };
for (let i = 0; i < 60; i++) {
  setTraceIds(batch.body, batch.traceIdOffsets, 1, i);
  const req = decodeTraceRequestProtobuf(batch.body);
  let t0 = performance.now();
  const m = mapRequest(req, kinds, opts);
  t.map.push(performance.now() - t0);
  t0 = performance.now();
  JSON.stringify(m.records);
  t.stringify.push(performance.now() - t0);
  t0 = performance.now();
  await db.transaction((tx) => insertNewSpans(tx, m.records));
  t.insert.push(performance.now() - t0);
}
console.log('map', med(t.map), 'stringify', med(t.stringify), 'insert+commit', med(t.insert), 'bytes', JSON.stringify(mapRequest(decodeTraceRequestProtobuf(batch.body), kinds, opts).records).length);
const r = await db.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING) INSERT INTO spans (trace_id, span_id, parent_span_id, workflow_id, run_id, source, name, kind, started_at, ended_at, status, status_message, attributes, events, resource, scope)
 SELECT trace_id, span_id, parent_span_id, workflow_id, run_id, source, name, kind, started_at, ended_at, status, status_message, coalesce(attributes, '{}'), events, resource, scope
 FROM jsonb_to_recordset($1::jsonb) AS s(trace_id text, span_id text, parent_span_id text, workflow_id text, run_id text, source text, name text, kind text, started_at timestamptz, ended_at timestamptz, status text, status_message text, attributes jsonb, events jsonb, resource jsonb, scope text)
 ON CONFLICT (trace_id, span_id) DO NOTHING RETURNING trace_id, span_id`, [JSON.stringify((() => { setTraceIds(batch.body, batch.traceIdOffsets, 2, 1); return mapRequest(decodeTraceRequestProtobuf(batch.body), kinds, opts).records.map((s) => ({ trace_id: s.traceId, span_id: s.spanId, parent_span_id: s.parentSpanId, workflow_id: s.workflowId, run_id: null, source: 'otlp', name: s.name, kind: s.kind, started_at: s.startedAt, ended_at: s.endedAt, status: s.status, status_message: null, attributes: s.attributes, events: s.events, resource: s.resource, scope: s.scope })); })())]);
console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n'));
await db.close();
await created.drop();
