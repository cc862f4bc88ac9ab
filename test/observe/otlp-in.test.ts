// OTLP in: scripts instrumented with the official OpenTelemetry JS SDK (and the Vercel AI SDK's own
// telemetry) export with the official OTLP exporters to Keel served on a loopback port. Their spans
// land on the external workflow the resource names, with models, tokens and cost in the rollups;
// what cannot be stored is rejected span by span (partial success), and nothing counts twice.
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { generateText } from 'ai';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { listTraces, readTrace } from '../../src/observe/index.js';
import { ProtobufReader } from '../../src/observe/otlp/protobuf-reader.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken, type TestIdentity } from '../support/identity.js';
import { exportOnce, handleTicket, otlpExporter, scriptProvider, serveOnLoopback, type ServedApp } from '../support/otlp-script.js';

const external = (id: string, owner: string) => `id: ${id}\ntitle: ${id}\nkind: external\nowner: ${owner}\nrisk: low\n`;
const models = configSchema.parse({ models: { mini: { provider: 'openai', model: 'gpt-4o-mini', price: { inputPerMillion: 0.15, outputPerMillion: 0.6 } } } }).models;
const ticketCost = (1200 * 0.15 + 300 * 0.6) / 1e6;

async function rollup(db: Db, workflowId: string) {
  const r = await db.query<Record<string, number>>(
    `SELECT coalesce(sum(runs), 0)::int AS runs, coalesce(sum(succeeded), 0)::int AS succeeded, coalesce(sum(failed), 0)::int AS failed,
            coalesce(sum(model_calls), 0)::int AS model_calls, coalesce(sum(tokens_in), 0)::int AS tokens_in,
            coalesce(sum(tokens_out), 0)::int AS tokens_out, coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
            coalesce(sum(metric_sum), 0)::float8 AS metric_sum, coalesce(sum(metric_count), 0)::int AS metric_count,
            coalesce(sum(automated), 0)::int AS automated
       FROM metric_hours WHERE workflow_id = $1 AND version_id = '' AND stage = 'production'`, [workflowId]);
  return r.rows[0]!;
}

const spanCount = async (db: Db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM spans')).rows[0]!.n;

describe.each(testDatabases())('OTLP in on $name', (database) => {
  const llm = useFakeLlmServer();
  let db: Db;
  let keel: ServedApp;
  let builder: TestIdentity;
  let app: ReturnType<typeof testHttpApp>;

  beforeEach(async () => {
    db = await database.open();
    await deploy(db, external('support-script', 'support-owner@example.com'));
    await deploy(db, external('other-script', 'other-owner@example.com'));
    await deploy(db, oneStepWorkflow('managed-flow'));
    builder = await createTestIdentity(db, ['builder']);
    app = testHttpApp(db, { models: { models, providerKeys: {} } });
    keel = await serveOnLoopback(app);
  });
  afterEach(async () => {
    await keel.close();
    await db.close();
  });

  it.each([
    { encoding: 'protobuf' as const, gzip: true, resource: { 'service.name': 'support-script' } },
    { encoding: 'json' as const, gzip: false, resource: { 'service.name': 'ticket-bot', 'keel.workflow.id': 'support-script' } },
  ])('stores an instrumented script\'s traces sent as OTLP/$encoding, with models, tokens and cost', async ({ encoding, gzip, resource }) => {
    const script = scriptProvider({ ...resource, 'deployment.environment': 'prod' }, otlpExporter(encoding, keel.url, builder.token, gzip));
    const ok = handleTicket(script.tracer, { minutesSaved: 4.5 });
    const failed = handleTicket(script.tracer, { fail: true });
    await script.provider.forceFlush();
    await script.provider.shutdown();

    const spans = await readTrace(db, ok);
    const named = (name: string) => spans.find((s) => s.name === name)!;
    expect(spans.map((s) => s.name).sort()).toEqual(['chat gpt-4o-mini', 'crm.lookup', 'handle-ticket']);
    const root = named('handle-ticket');
    const call = named('chat gpt-4o-mini');
    expect(root).toMatchObject({ workflowId: 'support-script', source: 'otlp', runId: null, parentSpanId: null, status: 'unset', scope: 'support-script' });
    expect(root.resource).toEqual({ ...resource, 'deployment.environment': 'prod' });
    expect(call).toMatchObject({ parentSpanId: root.spanId, kind: 'client', events: [{ name: 'retry', attributes: { attempt: 1 } }] });
    expect(call.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 300 });
    // Redacted before storing: the address is gone from attributes and from the recorded prompt.
    expect(named('crm.lookup').attributes['customer.email']).toBe('[email]');
    expect(call.attributes['gen_ai.input.messages']).toContain('Reply to [email] about her refund');
    expect(JSON.stringify(spans)).not.toContain('ada@example.com');

    const traces = await listTraces(db, 'support-script', { limit: 10 });
    expect(traces.map((t) => ({ traceId: t.traceId, status: t.status, spans: t.spans })).sort((a, b) => a.status.localeCompare(b.status)))
      .toEqual([{ traceId: failed, status: 'error', spans: 3 }, { traceId: ok, status: 'unset', spans: 3 }]);
    const counted = await rollup(db, 'support-script');
    // The root span's keel.metric.value is the run's business metric (metric.per_run).
    // The run that ended well counts as done without a person (automation coverage); the failed one does not.
    expect(counted).toMatchObject({ runs: 2, succeeded: 1, failed: 1, automated: 1, model_calls: 2, tokens_in: 2400, tokens_out: 600, metric_sum: 4.5, metric_count: 1 });
    expect(counted.cost_usd).toBeCloseTo(2 * ticketCost, 12);
    const classes = await db.query<{ value: string; runs: number }>(`SELECT value, runs FROM metric_counts WHERE workflow_id = 'support-script' AND dimension = 'error_class'`);
    expect(classes.rows).toEqual([{ value: 'CrmTimeout', runs: 1 }]);
  });

  it('stores the Vercel AI SDK\'s own telemetry and counts its model call once', async () => {
    llm.script('openai', { text: 'Hello Ada', tokensIn: 42, tokensOut: 7 });
    const script = scriptProvider({ 'service.name': 'support-script' }, otlpExporter('protobuf', keel.url, builder.token));
    const result = await generateText({
      model: createOpenAI({ baseURL: `${llm.url}/v1`, apiKey: 'test-key' }).chat('gpt-4o-mini'),
      prompt: 'Greet ada@example.com',
      telemetry: { functionId: 'greet', integrations: new OpenTelemetry({ tracer: script.tracer }) },
    });
    expect(result.text).toBe('Hello Ada');
    await script.provider.forceFlush();
    await script.provider.shutdown();

    const [summary] = await listTraces(db, 'support-script', { limit: 5 });
    const spans = await readTrace(db, summary!.traceId);
    const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    expect(call?.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 42, 'gen_ai.usage.output_tokens': 7 });
    expect(spans.find((s) => s.parentSpanId === null)?.attributes['gen_ai.operation.name']).toBe('invoke_agent');
    expect(JSON.stringify(spans)).not.toContain('ada@example.com');
    // The agent span repeats the call's usage as its total; only the call counts.
    const counted = await rollup(db, 'support-script');
    expect(counted).toMatchObject({ runs: 1, succeeded: 1, model_calls: 1, tokens_in: 42, tokens_out: 7 });
    expect(counted.cost_usd).toBeCloseTo((42 * 0.15 + 7 * 0.6) / 1e6, 12);
  });

  it('rejects spans of unknown and managed workflows and invalid spans with reasons, and stores the rest', async () => {
    const made = [{ 'keel.workflow.id': 'no-such-flow' }, { 'keel.workflow.id': 'managed-flow' }, { 'service.name': 'support-script' }].map((resource) => {
      const script = scriptProvider(resource);
      handleTicket(script.tracer);
      return script.finished();
    });
    const res = await fetch(`${keel.url}/v1/traces`, {
      method: 'POST', body: ProtobufTraceSerializer.serializeRequest(made.flat()),
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${builder.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const answer = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(6);
    expect(answer.partialSuccess?.errorMessage).toContain('no workflow "no-such-flow" (3 spans)');
    expect(answer.partialSuccess?.errorMessage).toContain('workflow "managed-flow" is managed by Keel');
    expect(await spanCount(db)).toBe(3);
    expect((await listTraces(db, 'support-script', { limit: 5 }))[0]?.traceId).toBe(made[2]![0]!.spanContext().traceId);

    const api = await contractChecker(withToken(app, builder.token));
    const span = (traceId: string, spanId: string, start: string, end: string) => ({ traceId, spanId, name: 'step', startTimeUnixNano: start, endTimeUnixNano: end });
    const body = {
      resourceSpans: [{
        resource: { attributes: [{ key: 'keel.workflow.id', value: { stringValue: 'support-script' } }] },
        scopeSpans: [{ spans: [
          span('5B8EFFF798038103D269B633813FC60C', 'EEE19B7EC3C1B174', '1700000000000000000', '1700000000500000000'),
          span('zz', 'eee19b7ec3c1b175', '1700000000000000000', '1700000000500000000'),
          span('5b8efff798038103d269b633813fc60c', '0000000000000000', '1700000000000000000', '1700000000500000000'),
          span('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b176', '1700000000500000000', '1700000000000000000'),
        ] }],
      }],
    };
    const partial = await api.call('POST', '/v1/traces', '/v1/traces', body, 200);
    expect(partial.body).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: expect.stringContaining('end_time_unix_nano is before start_time_unix_nano (1 span)') } });
    expect((await readTrace(db, '5b8efff798038103d269b633813fc60c')).map((s) => s.spanId)).toEqual(['eee19b7ec3c1b174']);
  });

  it('lets a workflow\'s owner write its traces, refuses a viewer, and audits spans sent for a workflow the caller may only see', async () => {
    const owner = await createTestIdentity(db, ['viewer'], 'other-owner@example.com');
    const spans = [{ 'keel.workflow.id': 'other-script' }, { 'keel.workflow.id': 'support-script' }].flatMap((resource) => {
      const script = scriptProvider(resource);
      handleTicket(script.tracer);
      return script.finished();
    });
    const asOwner = await exportOnce(otlpExporter('json', keel.url, owner.token), spans);
    expect(asOwner.code).toBe(0);
    expect((await listTraces(db, 'other-script', { limit: 5 })).length).toBe(1);
    expect((await listTraces(db, 'support-script', { limit: 5 })).length).toBe(0);
    const audit = await db.query<{ actor: string; data: { workflows: string[] } }>(`SELECT actor, data FROM audit_events WHERE action = 'access:denied' AND subject_id = 'POST /v1/traces'`);
    expect(audit.rows).toEqual([{ actor: 'other-owner@example.com', data: expect.objectContaining({ workflows: ['support-script'], permission: 'traces:write' }) }]);

    // A viewer may write traces of no workflow: the guard refuses before the body is read.
    const viewer = await createTestIdentity(db, ['viewer']);
    const refused = await exportOnce(otlpExporter('json', keel.url, viewer.token), spans);
    expect(refused).toMatchObject({ code: 1, status: 403 });
    expect(JSON.parse(refused.data!)).toEqual({ code: 7, message: expect.stringContaining('traces:write') });
  });

  it('answers undecodable bodies 400, other content types 415, missing tokens 401 and oversized bodies 413, in the request\'s encoding', async () => {
    const post = (body: string | Uint8Array, headers: Record<string, string>, base = keel.url) => fetch(`${base}/v1/traces`, { method: 'POST', body, headers: { authorization: `Bearer ${builder.token}`, ...headers } });
    const garbage = await post(Uint8Array.from([0x0a, 0xff, 0xff, 0x03, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toBe('application/x-protobuf');
    const status = new ProtobufReader(Buffer.from(await garbage.arrayBuffer()));
    const fields: Record<number, number | string> = {};
    while (status.pos < status.length) {
      const key = status.tag();
      fields[key >>> 3] = key >>> 3 === 1 ? status.varint() : status.string();
    }
    expect(fields).toEqual({ 1: 3, 2: expect.stringMatching(/^The protobuf body is malformed: a field of 65535 bytes runs past the end of the body at byte 1\./) });

    const api = await contractChecker(withToken(app, builder.token));
    const badJson = await api.call('POST', '/v1/traces', '/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'SERVER' }] }] }] }, 400);
    expect(badJson.body).toEqual({ code: 3, message: expect.stringContaining('resourceSpans[0].scopeSpans[0].spans[0].kind') });
    const text = await post('hello', { 'content-type': 'text/plain' });
    expect([text.status, await text.json()]).toEqual([415, { code: 3, message: expect.stringContaining('Content-Type text/plain is not an OTLP encoding') }]);
    const brotli = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);

    const anonymous = await exportOnce(otlpExporter('protobuf', keel.url, undefined), []);
    expect(anonymous).toMatchObject({ code: 1, status: 401 });
    const unknown = await fetch(`${keel.url}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer keel_nope' } });
    expect([unknown.status, ((await unknown.json()) as { code: number }).code]).toEqual([401, 16]);

    const small = await serveOnLoopback(testHttpApp(db, { otlp: { bodyLimitBytes: 64 * 1024 } }));
    try {
      const big = await post(Buffer.alloc(100 * 1024), { 'content-type': 'application/x-protobuf' }, small.url);
      expect(big.status).toBe(413);
      // A small gzip body that inflates past the limit is refused too.
      const bomb = await post(gzipSync(Buffer.alloc(1024 * 1024, 0x20)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, small.url);
      expect([bomb.status, ((await bomb.json()) as { message: string }).message]).toEqual([413, expect.stringContaining('once decompressed')]);
    } finally {
      await small.close();
    }
    expect(await spanCount(db)).toBe(0);
  });

  it('stores and counts nothing twice when an export is sent again, even concurrently', async () => {
    const script = scriptProvider({ 'service.name': 'support-script' });
    handleTicket(script.tracer);
    const spans = script.finished();
    const exporter = otlpExporter('protobuf', keel.url, builder.token);
    const outcomes = await Promise.all([exportOnce(exporter, spans), exportOnce(otlpExporter('json', keel.url, builder.token), spans)]);
    expect(outcomes.map((o) => o.code)).toEqual([0, 0]);
    expect(await exportOnce(exporter, spans)).toMatchObject({ code: 0 });
    expect(await spanCount(db)).toBe(3);
    const counted = await rollup(db, 'support-script');
    expect(counted).toMatchObject({ runs: 1, model_calls: 1, tokens_in: 1200, tokens_out: 300 });
    expect(counted.cost_usd).toBeCloseTo(ticketCost, 12);
  });
});
