// The OTLP exporter against a real collector stand-in on loopback, for both encodings: the spans
// stored after it started arrive once, with their ids, names, attributes (GenAI ones as ints),
// resource and status; the cursor survives a restart; a 503 with Retry-After delays a batch but
// loses none; a 400 skips one batch; configured headers arrive and are never logged; and the egress
// guard refuses a metadata address before any socket opens.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKeel } from '../../src/app.js';
import { loadConfig, type OtlpExportConfig } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { createLogger } from '../../src/logging.js';
import { createOtlpExporter, insertSpans, keelSpanId, runTraceId, type OtlpExporter, type OtlpExporterOptions, type SpanRecord } from '../../src/observe/index.js';
import { decodeTraceRequestProtobuf } from '../../src/observe/otlp/decode-protobuf.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { watchLoopback } from '../support/loopback-watch.js';

const { servers, sockets } = watchLoopback();
type Protocol = OtlpExportConfig['protocol'];

/** One span as the collector saw it, whichever the encoding. */
interface Received {
  resource: Record<string, unknown>;
  scope: string | null;
  traceId: string; spanId: string; parentSpanId: string; name: string; kind: number;
  startMs: number; endMs: number; attributes: Record<string, unknown>;
  statusCode: number; statusMessage: string; events: string[];
}

interface Collector {
  endpoint: string;
  requests: Array<{ headers: http.IncomingHttpHeaders; body: Buffer; status: number }>;
  /** Answers for the next requests, in order; 200 with an empty body once they run out. */
  answers: Array<{ status: number; headers?: Record<string, string>; body?: string }>;
  /** Every span of every request the collector answered with `status`. */
  spans(status?: number): Received[];
}

async function startCollector(protocol: Protocol): Promise<Collector> {
  const collector: Collector = {
    endpoint: '', requests: [], answers: [],
    spans: (status = 200) => collector.requests.filter((r) => r.status === status).flatMap((r) => decode(r.body, protocol)),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = collector.answers.shift() ?? { status: 200 };
      collector.requests.push({ headers: req.headers, body: Buffer.concat(chunks), status: answer.status });
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  collector.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return collector;
}

function decode(body: Buffer, protocol: Protocol): Received[] {
  if (protocol === 'http/protobuf') {
    return decodeTraceRequestProtobuf(body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({
      resource: rs.resource, scope: ss.scope, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name,
      kind: s.kind, startMs: s.startMs, endMs: s.endMs, attributes: s.attributes, statusCode: s.statusCode, statusMessage: s.statusMessage,
      events: s.events.map((e) => e.name),
    }))));
  }
  type KV = { key: string; value: Record<string, unknown> };
  const attrs = (list: KV[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
  const json = JSON.parse(body.toString('utf8')) as { resourceSpans: Array<{ resource: { attributes: KV[] }; scopeSpans: Array<{ scope?: { name: string }; spans: Array<Record<string, unknown>> }> }> };
  return json.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({
    resource: attrs(rs.resource.attributes), scope: ss.scope?.name ?? null,
    traceId: s.traceId as string, spanId: s.spanId as string, parentSpanId: (s.parentSpanId as string | undefined) ?? '', name: s.name as string,
    kind: s.kind as number, startMs: Number(BigInt(s.startTimeUnixNano as string) / 1_000_000n), endMs: Number(BigInt(s.endTimeUnixNano as string) / 1_000_000n),
    attributes: attrs(s.attributes as KV[]), statusCode: (s.status as { code?: number }).code ?? 0, statusMessage: (s.status as { message?: string }).message ?? '',
    events: (s.events as Array<{ name: string }>).map((e) => e.name),
  }))));
}

function jsonValue(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Array<Record<string, unknown>> }).values ?? []).map(jsonValue);
  return null;
}

/** A real pino logger whose lines the test reads back. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger('debug', new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } }));
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as { level: number; msg: string } & Record<string, unknown>) };
}

const workflowId = 'otlp-out';
const t0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms);

/** A Keel run (root, a model call with GenAI attributes, a failed action) and a span received over OTLP. */
function sampleSpans(runId: string): SpanRecord[] {
  const traceId = runTraceId(runId);
  const root = keelSpanId('run', runId);
  const keel = { traceId, workflowId, runId, source: 'keel' as const, resource: null, scope: 'keel', events: null, statusMessage: null };
  return [
    { ...keel, spanId: root, parentSpanId: null, name: `run ${workflowId}`, kind: 'server', startedAt: at(0), endedAt: at(900), status: 'ok',
      attributes: { 'keel.workflow.id': workflowId, 'keel.run.id': runId, 'keel.stage': 'production' } },
    { ...keel, spanId: keelSpanId('model_call', `${runId}-1`), parentSpanId: root, name: 'chat gpt-4o-mini', kind: 'client', startedAt: at(100), endedAt: at(600), status: 'ok',
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 45, 'keel.cost_usd': 0.0012, 'gen_ai.response.finish_reasons': ['stop'] } },
    { ...keel, spanId: keelSpanId('attempt', `${runId}-2`), parentSpanId: root, name: 'action notify', kind: 'internal', startedAt: at(650), endedAt: at(880), status: 'error',
      statusMessage: 'the mail server refused the message', attributes: { 'keel.step.id': 'notify', 'error.type': 'action_failed' },
      events: [{ name: 'retry', time: at(700), attributes: { 'keel.attempt': 2 } }] },
    { traceId: runTraceId(`otlp-${runId}`), spanId: keelSpanId('run', `otlp-${runId}`), parentSpanId: null, workflowId, runId: null, source: 'otlp',
      name: 'n8n invoice flow', kind: 'consumer', startedAt: at(10), endedAt: at(20), status: 'unset', statusMessage: null,
      attributes: { 'http.response.status_code': 200 }, events: null, resource: { 'service.name': 'n8n-invoices', 'keel.workflow.id': workflowId }, scope: 'n8n' },
  ];
}

function exportConfig(collector: Collector, protocol: Protocol, more: Partial<OtlpExportConfig> = {}): OtlpExportConfig {
  return { endpoint: collector.endpoint, protocol, headers: {}, timeoutMs: 2_000, batchSize: 512, intervalMs: 50, ...more };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function cursor(db: Db): Promise<number | null> {
  const r = await db.query<{ position_id: string | null }>(`SELECT position_id FROM observe_cursors WHERE name = 'otlp-export'`);
  return r.rows[0] ? Number(r.rows[0].position_id) : null;
}

describe.each(testDatabases())('OTLP export on $name', (database) => {
  let db: Db;
  const exporters: OtlpExporter[] = [];
  const exporter = (options: Omit<OtlpExporterOptions, 'db' | 'serviceName' | 'logger'> & Partial<Pick<OtlpExporterOptions, 'logger'>>) => {
    const e = createOtlpExporter({ db, serviceName: 'keel-test', logger: capturedLogger().logger, ...options });
    exporters.push(e);
    return e;
  };

  beforeEach(async () => {
    db = await database.open();
    await deploy(db, oneStepWorkflow(workflowId));
  });
  afterEach(async () => {
    for (const e of exporters.splice(0)) await e.stop();
    await db.close();
  });

  it.each(['http/json', 'http/protobuf'] as const)('sends the spans stored after it started, as they are, over %s', async (protocol) => {
    const collector = await startCollector(protocol);
    await insertSpans(db, [{ ...sampleSpans('before-start')[0]! }]);
    const e = exporter({ config: exportConfig(collector, protocol) });
    await e.start();
    const spans = sampleSpans('run-1');
    await insertSpans(db, spans);
    await until('the spans', () => collector.spans().length === spans.length);
    await e.stop();

    const received = collector.spans();
    // The span stored before the first start is history: not sent.
    expect(received.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(collector.requests.every((r) => r.headers['content-type'] === (protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'))).toBe(true);
    const byId = new Map(received.map((s) => [s.spanId, s]));
    for (const stored of spans) {
      const got = byId.get(stored.spanId)!;
      expect(got).toMatchObject({
        traceId: stored.traceId, parentSpanId: stored.parentSpanId ?? '', name: stored.name,
        kind: ['internal', 'server', 'client', 'producer', 'consumer'].indexOf(stored.kind) + 1,
        startMs: stored.startedAt.getTime(), endMs: stored.endedAt.getTime(),
        statusCode: ['unset', 'ok', 'error'].indexOf(stored.status), statusMessage: stored.statusMessage ?? '',
        events: (stored.events ?? []).map((ev) => ev.name),
      });
      expect(got.attributes).toEqual(stored.attributes);
      expect(got.resource).toEqual(stored.source === 'keel' ? { 'service.name': 'keel-test', 'keel.workflow.id': workflowId } : stored.resource);
      expect(got.scope).toBe(stored.scope);
    }
    // Token counts travel as OTLP ints, not doubles.
    const body = collector.requests.find((r) => r.status === 200)!.body;
    if (protocol === 'http/json') {
      const text = body.toString('utf8');
      expect(text).toContain('{"key":"gen_ai.usage.input_tokens","value":{"intValue":120}}');
      expect(text).toContain('{"key":"keel.cost_usd","value":{"doubleValue":0.0012}}');
    } else {
      // KeyValue.value (field 2, 2 bytes) holding AnyValue.int_value (field 3, varint): 0x12 0x02 0x18 <n>.
      expect(body.includes(Buffer.concat([Buffer.from('gen_ai.usage.input_tokens'), Buffer.from([0x12, 0x02, 0x18, 120])]))).toBe(true);
      expect(body.includes(Buffer.concat([Buffer.from('gen_ai.usage.output_tokens'), Buffer.from([0x12, 0x02, 0x18, 45])]))).toBe(true);
    }
  });

  it('resumes from its cursor after a clean stop: no span sent twice, none skipped', async () => {
    const collector = await startCollector('http/protobuf');
    const config = exportConfig(collector, 'http/protobuf', { batchSize: 2 });
    const first = exporter({ config });
    // A first pass sets the cursor (nothing stored yet); flush runs passes without the background loop.
    expect(await first.flush()).toMatchObject({ exported: 0 });
    const spans = sampleSpans('run-2');
    await insertSpans(db, spans.slice(0, 3));
    expect(await first.flush()).toMatchObject({ exported: 3, skipped: 0, leader: true });
    await first.stop();
    // Stored while no exporter runs.
    await insertSpans(db, spans.slice(3));
    await insertSpans(db, sampleSpans('run-3'));

    const second = exporter({ config });
    await second.start();
    await until('every span', () => collector.spans().length === 8);
    await second.stop();
    const last = await db.query<{ max: string }>('SELECT max(id) AS max FROM spans');
    expect(await cursor(db)).toBe(Number(last.rows[0]!.max));
    // Stopped means stopped: no timer left to send what is stored afterwards.
    const sent = collector.requests.length;
    await insertSpans(db, sampleSpans('run-late'));
    await new Promise((r) => setTimeout(r, 300));
    expect(collector.requests).toHaveLength(sent);
    const ids = collector.spans().map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...spans, ...sampleSpans('run-3')].map((s) => s.spanId).sort());
    // Batches of at most two.
    expect(collector.requests.every((r) => decode(r.body, 'http/protobuf').length <= 2)).toBe(true);
  });

  it('waits out a 503 with Retry-After and then sends every span once', async () => {
    const collector = await startCollector('http/json');
    collector.answers.push({ status: 503, headers: { 'retry-after': '1' } });
    const log = capturedLogger();
    const e = exporter({ config: exportConfig(collector, 'http/json'), logger: log.logger });
    await e.start();
    const startedAt = Date.now();
    const spans = sampleSpans('run-4');
    await insertSpans(db, spans);
    await until('the retried batch', () => collector.spans(200).length > 0);
    const waited = Date.now() - startedAt;
    await e.stop();

    expect(collector.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(collector.spans(503).map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(collector.spans(200).map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(waited).toBeGreaterThanOrEqual(1_000);
    const messages = log.entries().map((l) => l.msg);
    expect(messages.some((m) => m.includes('OTLP export failed'))).toBe(true);
    expect(messages).toContain('OTLP export resumed');
  });

  it('sends the configured headers, skips a batch the collector refuses (400), logs partial success, and never logs a header value', async () => {
    const collector = await startCollector('http/json');
    const secret = 'Bearer sekret-token-7f3a';
    collector.answers.push(
      { status: 400, body: '{"code":3,"message":"bad span"}' },
      { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: 'span too old' } }) },
    );
    const log = capturedLogger();
    const e = exporter({ config: exportConfig(collector, 'http/json', { batchSize: 4, headers: { Authorization: secret, 'x-tenant': 'acme' } }), logger: log.logger });
    await e.flush();
    const refused = sampleSpans('run-5');
    const later = sampleSpans('run-6').slice(0, 3);
    await insertSpans(db, refused);
    await insertSpans(db, later);
    expect(await e.flush()).toMatchObject({ exported: 2, skipped: 4 });
    await e.stop();

    expect(collector.requests).toHaveLength(2);
    for (const r of collector.requests) expect(r.headers).toMatchObject({ authorization: secret, 'x-tenant': 'acme' });
    expect(collector.spans(200).map((s) => s.spanId).sort()).toEqual(later.map((s) => s.spanId).sort());
    const entries = log.entries();
    expect(entries.find((l) => l.msg.includes('refused a batch'))).toMatchObject({ status: 400, spans: 4 });
    expect(entries.find((l) => l.msg.includes('accepted the batch in part'))).toMatchObject({ rejected_spans: 1, message: 'span too old' });
    const text = log.lines.join('\n');
    expect(text).not.toContain('sekret-token-7f3a');
    expect(text).not.toContain('n8n invoice flow');
    expect(text).not.toContain('gpt-4o-mini');
  });

  it('is refused by the egress guard for a metadata address endpoint before any socket opens, and keeps the spans', async () => {
    for (const endpoint of ['http://169.254.169.254/v1/traces', 'http://collector.example.test:4318/v1/traces']) {
      const resolved: string[] = [];
      const log = capturedLogger();
      const e = exporter({
        config: { endpoint, protocol: 'http/protobuf', headers: { authorization: 'Bearer nope' }, timeoutMs: 2_000, batchSize: 512, intervalMs: 60_000 },
        resolve: (host) => (resolved.push(host), Promise.resolve(['169.254.169.254'])),
        logger: log.logger,
      });
      await e.flush();
      const before = await cursor(db);
      await insertSpans(db, sampleSpans(`run-meta-${resolved.length}-${endpoint.length}`));
      const socketsBefore = sockets();
      const pass = await e.flush();
      expect(sockets() - socketsBefore).toBe(0);
      expect(pass).toMatchObject({ exported: 0, skipped: 0 });
      expect(pass.retryInMs).toBeGreaterThan(0);
      expect(await cursor(db)).toBe(before);
      const failure = log.entries().find((l) => l.msg.includes('OTLP export failed'));
      expect(JSON.stringify(failure)).toContain('egress_refused');
      expect(JSON.stringify(failure)).toContain('cloud metadata address');
      // A name is resolved (by the injected resolver) and its answer refused; an address literal is not resolved at all.
      if (endpoint.includes('example.test')) expect(resolved.length > 0 && resolved.every((h) => h === 'collector.example.test')).toBe(true);
      else expect(resolved).toEqual([]);
      await e.stop();
    }
  });

  it('is not held back by the ids a duplicate insert burnt', async () => {
    const collector = await startCollector('http/json');
    const e = exporter({ config: exportConfig(collector, 'http/json') });
    await e.flush();
    const first = sampleSpans('run-8');
    const second = sampleSpans('run-9');
    await insertSpans(db, first);
    // Writing a run's spans again stores nothing, but the sequence moves on: a gap no commit will fill.
    expect(await insertSpans(db, first)).toBe(0);
    await insertSpans(db, second);
    const pass = await e.flush();
    expect(pass).toMatchObject({ exported: 8 });
    expect(pass.retryInMs).toBeUndefined();
    expect(collector.spans().map((s) => s.spanId).sort()).toEqual([...first, ...second].map((s) => s.spanId).sort());
  });

  it.skipIf(database.name === 'pglite')('waits for a lower id still being written instead of walking past it', async () => {
    const collector = await startCollector('http/json');
    const e = exporter({ config: exportConfig(collector, 'http/json'), settleMs: 60_000 });
    await e.flush();
    const spans = sampleSpans('run-7');
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const insertedFirst = new Promise<void>((resolve) => (inserted = resolve));
    // One transaction takes the lower id and stays open while a later one commits a higher id.
    const slow = db.transaction(async (tx) => {
      await insertSpans(tx, spans.slice(0, 1));
      inserted();
      await held;
    });
    await insertedFirst;
    await insertSpans(db, spans.slice(1));
    expect(await e.flush()).toMatchObject({ exported: 0 });
    expect(collector.requests).toHaveLength(0);
    commit();
    await slow;
    expect(await e.flush()).toMatchObject({ exported: spans.length });
    expect(collector.spans().map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});

describe('keel serve with the OTEL_* variables', () => {
  it('exports from the process that runs the scheduler, as the variables say, and stops cleanly', async () => {
    const collector = await startCollector('http/json');
    const dir = mkdtempSync(join(tmpdir(), 'keel-otlp-out-'));
    const keelYaml = join(dir, 'keel.yaml');
    writeFileSync(keelYaml, 'observe:\n  export:\n    intervalMs: 50\n');
    const config = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint.replace(/\/v1\/traces$/, ''), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def', OTEL_SERVICE_NAME: 'keel-app-test',
      },
      // keel.yaml sets what the variables do not (how often to look); the variables fill the rest.
      file: keelYaml,
      flags: { database: { dataDir: join(dir, 'data') }, workflowsDir: join(dir, 'wf'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent' },
    });
    const keel = await startKeel(config, { http: false, workers: false, scheduler: true, loadWorkflows: false });
    try {
      await deploy(keel.db, oneStepWorkflow(workflowId));
      const spans = sampleSpans('run-app');
      await insertSpans(keel.db, spans);
      await until('the spans', () => collector.spans().length === spans.length);
    } finally {
      await keel.stop();
    }
    expect(collector.requests[0]?.headers['x-api-key']).toBe('abc def');
    expect(collector.spans().find((s) => s.name === `run ${workflowId}`)?.resource['service.name']).toBe('keel-app-test');
  }, 30_000);
});
