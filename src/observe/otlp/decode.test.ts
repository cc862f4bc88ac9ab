// The hand-written OTLP decoders against the official OpenTelemetry JS serializers: random spans
// made with the real SDK are encoded by @opentelemetry/otlp-transformer (binary and JSON) and must
// decode to exactly what the SDK recorded. Damaged bodies must fail as invalid_input with an offset
// or a JSON path, never with any other error.
import { ROOT_CONTEXT, trace, type Attributes as OtelAttributes, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../errors.js';
import { decodeTraceRequestJson } from './decode-json.js';
import { decodeTraceRequestProtobuf } from './decode-protobuf.js';
import type { OtlpRequest } from './request.js';

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const alphabet = ['a', 'b', 'z', '.', '_', ' ', 'é', 'ß', '中', '😀', '0', '9', '"', '\\', '\n'];
  const text = (max: number) => Array.from({ length: int(0, max) }, () => pick(alphabet)).join('');
  return { next, int, pick, text };
}

type Rng = ReturnType<typeof random>;

function randomValue(rng: Rng): OtelAttributes[string] {
  switch (rng.int(0, 6)) {
    case 0: return rng.text(40);
    case 1: return rng.int(-1e9, 1e9) * rng.pick([1, 1000, 9_007_199]);
    case 2: return rng.next() * 1e6 - 5e5;
    case 3: return rng.next() < 0.5;
    case 4: return Array.from({ length: rng.int(0, 4) }, () => rng.text(8));
    case 5: return Array.from({ length: rng.int(1, 4) }, () => rng.int(-100, 100));
    default: return Array.from({ length: rng.int(1, 3) }, () => rng.next() < 0.5);
  }
}

function randomAttributes(rng: Rng, max: number): OtelAttributes {
  const out: OtelAttributes = {};
  for (let i = rng.int(0, max); i > 0; i--) out[`k${rng.int(0, 50)}.${rng.text(6)}`] = randomValue(rng);
  return out;
}

const hr = (ms: number, extraNanos: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1e6 + extraNanos];

/** Spans from a few SDK tracer providers (one resource each), with parents, events and statuses. */
function randomSpans(rng: Rng): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  for (let p = rng.int(1, 3); p > 0; p--) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `svc-${p}`, ...randomAttributes(rng, 4) }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer(rng.pick(['script', 'ai', rng.text(10)]));
    const open: ReturnType<typeof tracer.startSpan>[] = [];
    for (let i = rng.int(1, 12); i > 0; i--) {
      const startMs = 1_700_000_000_000 + rng.int(0, 1e9);
      const parent = open.length > 0 && rng.next() < 0.7 ? rng.pick(open) : undefined;
      const span = tracer.startSpan(rng.text(30), { kind: rng.int(0, 4), attributes: randomAttributes(rng, 8), startTime: hr(startMs, rng.int(0, 999_999)) },
        parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
      for (let e = rng.int(0, 2); e > 0; e--) span.addEvent(rng.text(12), randomAttributes(rng, 3), hr(startMs + rng.int(0, 500), rng.int(0, 999_999)));
      const status = rng.next();
      if (status < 0.3) span.setStatus({ code: 2, message: rng.text(20) });
      else if (status < 0.5) span.setStatus({ code: 1 });
      open.push(span);
    }
    for (const span of open.reverse()) span.end(hr(1_700_000_000_000 + 2e9 + rng.int(0, 1e6), rng.int(0, 999_999)));
  }
  return exporter.getFinishedSpans();
}

const millis = (t: HrTime) => t[0] * 1000 + Math.floor(t[1] / 1e6);

/** What the decoders must produce for the SDK's spans, grouped by resource and scope as the serializers do. */
function expected(spans: ReadableSpan[]): OtlpRequest {
  const out: OtlpRequest = { resourceSpans: [] };
  for (const s of spans) {
    const resource = s.resource.attributes;
    let rs = out.resourceSpans.find((r) => JSON.stringify(r.resource) === JSON.stringify(resource));
    if (!rs) out.resourceSpans.push((rs = { resource: { ...resource } as never, scopeSpans: [] }));
    let ss = rs.scopeSpans.find((x) => x.scope === s.instrumentationScope.name);
    if (!ss) rs.scopeSpans.push((ss = { scope: s.instrumentationScope.name, spans: [] }));
    ss.spans.push({
      traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: s.parentSpanContext?.spanId ?? '',
      name: s.name, kind: s.kind + 1, startMs: millis(s.startTime), endMs: millis(s.endTime), attributes: { ...s.attributes } as never,
      events: s.events.map((e) => ({ name: e.name, time: new Date(millis(e.time)), ...(e.attributes && Object.keys(e.attributes).length > 0 ? { attributes: { ...e.attributes } as never } : {}) })),
      statusCode: s.status.code, statusMessage: s.status.message ?? '',
    });
  }
  return out;
}

/** The decoders' output in the order the expectation builds it (the serializers group the same way). */
function normalised(request: OtlpRequest): OtlpRequest {
  return JSON.parse(JSON.stringify(request)) as OtlpRequest;
}

describe('OTLP decoders', () => {
  it('decode random SDK spans exactly as the official protobuf and JSON serializers encode them', () => {
    const seed = Number(process.env.KEEL_TEST_SEED ?? Date.now() % 1e9);
    console.log(`OTLP round-trip seed: ${seed} (KEEL_TEST_SEED=${seed} replays it)`);
    const rng = random(seed);
    for (let round = 0; round < 40; round++) {
      const spans = randomSpans(rng);
      const want = normalised(expected(spans));
      const fromProtobuf = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!);
      expect(normalised(fromProtobuf), `round ${round} (protobuf)`).toEqual(want);
      const fromJson = decodeTraceRequestJson(JsonTraceSerializer.serializeRequest(spans)!);
      expect(normalised(fromJson), `round ${round} (JSON)`).toEqual(want);
    }
  });

  it('fails damaged protobuf only with invalid_input naming the byte offset', () => {
    const seed = Number(process.env.KEEL_TEST_SEED ?? Date.now() % 1e9);
    console.log(`OTLP damage seed: ${seed}`);
    const rng = random(seed);
    const body = ProtobufTraceSerializer.serializeRequest(randomSpans(rng))!;
    let failed = 0;
    for (let i = 0; i < 500; i++) {
      const damaged = Uint8Array.from(body.subarray(0, rng.int(0, body.length)));
      for (let flips = rng.int(0, 3); flips > 0 && damaged.length > 0; flips--) damaged[rng.int(0, damaged.length - 1)] = rng.int(0, 255);
      try {
        decodeTraceRequestProtobuf(damaged);
      } catch (error) {
        failed++;
        expect(isKeelError(error, 'invalid_input'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/at byte \d+\.$/);
      }
    }
    expect(failed).toBeGreaterThan(0);
  });

  it('says what is wrong with a protobuf body and where', () => {
    const fail = (bytes: number[]) => {
      try {
        decodeTraceRequestProtobuf(Uint8Array.from(bytes));
      } catch (error) {
        return (error as Error).message;
      }
      return 'decoded';
    };
    expect(fail([0x0a, 0x05, 0x01])).toBe('The protobuf body is malformed: a field of 5 bytes runs past the end of the body at byte 1.');
    expect(fail([0x1b])).toMatch(/wire type 3 of field 3 is not valid at byte 1/);
    expect(fail([0x0b])).toMatch(/ExportTraceServiceRequest.resource_spans has wire type 3, expected 2/);
    expect(fail([0x00])).toMatch(/field number 0 at byte 0/);
    expect(fail([0x08, 0x01])).toMatch(/ExportTraceServiceRequest.resource_spans has wire type 0, expected 2/);
    expect(fail([0x0a, 0x02, 0x12, 0x05])).toMatch(/runs past the end of the body at byte 3/);
    // Unknown fields of every wire type are skipped, as protobuf requires.
    expect(fail([0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x2a, 0x01, 0x00])).toBe('decoded');
    expect(decodeTraceRequestProtobuf(new Uint8Array(0))).toEqual({ resourceSpans: [] });
  });

  it('names the JSON path of a malformed OTLP/JSON body and ignores unknown keys', () => {
    const fail = (body: unknown) => {
      try {
        decodeTraceRequestJson(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
      } catch (error) {
        return (error as Error).message;
      }
      return 'decoded';
    };
    const span = (extra: object) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'AB', spanId: 'cd', ...extra }] }] }] });
    expect(fail('{')).toMatch(/^The OTLP\/JSON body is not valid JSON/);
    expect(fail([])).toBe('The OTLP/JSON body is invalid at $: must be an object.');
    expect(fail(span({ kind: 'SPAN_KIND_SERVER' }))).toMatch(/at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.kind: must be an integer/);
    expect(fail(span({ startTimeUnixNano: '12.5' }))).toMatch(/spans\[0\]\.startTimeUnixNano: must be a decimal string/);
    expect(fail(span({ attributes: [{ key: 'a', value: { intValue: 'x' } }] }))).toMatch(/spans\[0\]\.attributes\[0\]\.value\.intValue/);
    expect(fail({ resourceSpans: {} })).toMatch(/at resourceSpans: must be an array/);
    expect(fail({ resourceSpans: [{ somethingNew: 1, scopeSpans: null }], extra: true })).toBe('decoded');
    const decoded = decodeTraceRequestJson(Buffer.from(JSON.stringify(span({
      startTimeUnixNano: 1_700_000_000_123_456_768, endTimeUnixNano: '1700000000124999999',
      attributes: [
        { key: 'big', value: { intValue: '9007199254740993' } }, { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { arrayValue: { values: [{ intValue: 1 }] } } }] } } },
        { key: 'b', value: { bytesValue: 'AQI=' } }, { key: 'empty', value: {} }, { key: '__proto__', value: { stringValue: 'kept' } },
      ],
    }))));
    const s = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(s).toMatchObject({ traceId: 'ab', spanId: 'cd', startMs: 1_700_000_000_123, endMs: 1_700_000_000_124 });
    expect(JSON.parse(JSON.stringify(s.attributes))).toEqual({ big: '9007199254740993', kv: '{"x":[1]}', b: 'AQI=', empty: null, ['__proto__']: 'kept' });
  });
});
