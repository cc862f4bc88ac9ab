// Spans received over OTLP become spans of external workflows. Each resource names its workflow
// (resource attribute keel.workflow.id, else a service.name equal to an external workflow's id);
// the caller must hold traces:write there. What cannot be stored is rejected span by span and
// reported back (OTLP partial success), never failing the spans that can. Stored spans and the
// rollups they add are written in one transaction, and only spans this request actually stored
// are counted, so an exporter that sends the same batch again changes nothing.
import type { Db } from '../../db/index.js';
import type { Redactor } from '../redaction.js';
import { addToRollups, type RunFacts } from '../rollup.js';
import { insertNewSpans, spanKey } from '../span-store.js';
import type { Attributes, SpanKind, SpanRecord } from '../span.js';
import { modelUsage, type PriceOf } from './model-usage.js';
import type { OtlpRequest, OtlpSpan } from './request.js';

/** What ingest asks of the caller's permissions (the guard's Access fits). */
export interface IngestAccess {
  can(permission: string, workflowId?: string): boolean;
}

export interface IngestOptions {
  redactor: Redactor;
  priceOf: PriceOf;
  access: IngestAccess;
}

export interface IngestOutcome {
  received: number;
  /** Spans new to the store (a span sent again is accepted but not stored twice). */
  stored: number;
  rejected: number;
  /** Why spans were rejected, with how many each, most frequent first. */
  reasons: Array<{ reason: string; spans: number }>;
  /** Workflows the caller may see but not write: refused access the audit log records. */
  denied: string[];
}

const kinds: readonly SpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const zeroTrace = '0'.repeat(32);
const zeroSpan = '0'.repeat(16);
const traceHex = /^[0-9a-f]{32}$/;
const spanHex = /^[0-9a-f]{16}$/;

/** Why a span cannot be stored, or null when it can. */
function spanProblem(s: OtlpSpan): string | null {
  if (!traceHex.test(s.traceId) || s.traceId === zeroTrace) return 'trace_id must be 16 bytes and not all zero';
  if (!spanHex.test(s.spanId) || s.spanId === zeroSpan) return 'span_id must be 8 bytes and not all zero';
  if (s.parentSpanId !== '' && !spanHex.test(s.parentSpanId)) return 'parent_span_id must be empty or 8 bytes';
  if (s.startMs <= 0) return 'start_time_unix_nano is missing';
  if (s.endMs < s.startMs) return 'end_time_unix_nano is before start_time_unix_nano';
  return null;
}

/** Stores what can be stored of one export request and says what was rejected and why. */
export async function ingestTraces(db: Db, request: OtlpRequest, options: IngestOptions): Promise<IngestOutcome> {
  const mapped = mapRequest(request, await workflowKindsOf(db, request), options);
  const stored = await storeSpans(db, mapped.records, mapped.raw, options.priceOf);
  return { received: mapped.received, stored, rejected: mapped.rejected, reasons: mapped.reasons, denied: mapped.denied };
}

export interface MappedRequest extends Omit<IngestOutcome, 'stored'> {
  /** Redacted, ready to store. */
  records: SpanRecord[];
  /** Each record's attributes as received (usage is read from them). */
  raw: Attributes[];
}

/** Judges and maps a request's spans: each to a redacted SpanRecord of its workflow, or a reason. */
export function mapRequest(request: OtlpRequest, workflowKinds: ReadonlyMap<string, string>, options: Omit<IngestOptions, 'priceOf'>): MappedRequest {
  const { redactor, access } = options;
  const reasons = new Map<string, number>();
  const reject = (reason: string, spans: number) => {
    if (spans > 0) reasons.set(reason, (reasons.get(reason) ?? 0) + spans);
  };
  const denied = new Set<string>();
  const records: SpanRecord[] = [];
  const raw: Attributes[] = [];
  let received = 0;
  for (const rs of request.resourceSpans) {
    const spanCount = rs.scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
    received += spanCount;
    const target = workflowOf(rs.resource, workflowKinds, access);
    if ('reason' in target) {
      if (target.denied) denied.add(target.denied);
      reject(target.reason, spanCount);
      continue;
    }
    const resource = redactor.attributes(rs.resource);
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        const problem = spanProblem(s);
        if (problem) {
          reject(problem, 1);
          continue;
        }
        raw.push(s.attributes);
        records.push({
          traceId: s.traceId, spanId: s.spanId,
          // An all-zero parent is how some SDKs write "none".
          parentSpanId: s.parentSpanId === '' || s.parentSpanId === zeroSpan ? null : s.parentSpanId,
          workflowId: target.workflowId, runId: null, source: 'otlp', name: redactor.text(s.name), kind: kinds[s.kind] ?? 'internal',
          startedAt: new Date(s.startMs), endedAt: new Date(s.endMs),
          status: s.statusCode === 2 ? 'error' : s.statusCode === 1 ? 'ok' : 'unset',
          statusMessage: s.statusMessage === '' ? null : redactor.text(s.statusMessage),
          attributes: redactor.attributes(s.attributes),
          events: s.events.length === 0 ? null : s.events.map((e) => (e.attributes ? { name: redactor.text(e.name), time: e.time, attributes: redactor.attributes(e.attributes) } : { name: redactor.text(e.name), time: e.time })),
          resource, scope: ss.scope,
        });
      }
    }
  }
  const sorted = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, spans]) => ({ reason, spans }));
  return { records, raw, received, rejected: sorted.reduce((n, r) => n + r.spans, 0), reasons: sorted, denied: [...denied] };
}

/**
 * Stores mapped spans and adds what the newly stored ones say to the rollups, in one transaction.
 * Returns how many spans were new.
 */
export async function storeSpans(db: Db, records: readonly SpanRecord[], raw: readonly Attributes[], priceOf: PriceOf): Promise<number> {
  if (records.length === 0) return 0;
  return db.transaction(async (tx) => {
    const inserted = await insertNewSpans(tx, records);
    const count = inserted.size;
    const facts: RunFacts[] = [];
    records.forEach((record, i) => {
      // Once per stored span, even when a batch carries the same span twice.
      if (!inserted.delete(spanKey(record.traceId, record.spanId))) return;
      const fact = factsOf(record, raw[i]!, priceOf);
      if (fact) facts.push(fact);
    });
    await addToRollups(tx, facts);
    return count;
  });
}

/** The rollup facts one stored span adds: a root span is one run; a model call adds its usage. */
export function factsOf(record: SpanRecord, attributes: Attributes, priceOf: PriceOf): RunFacts | null {
  const usage = modelUsage(attributes, priceOf);
  const root = record.parentSpanId === null;
  if (!root && !usage) return null;
  const failed = record.status === 'error';
  const errorType = record.attributes['error.type'];
  // A workflow whose metric is reported per run (metric.per_run) sets it on its root span.
  const metric = attributes['keel.metric.value'];
  return {
    workflowId: record.workflowId, versionId: '', stage: 'production', at: record.endedAt,
    status: root ? (failed ? 'failed' : 'succeeded') : null,
    // Coverage: a run that ended well counts as done without a person unless its root span says a
    // person reviewed it (`keel.reviewed: true`); Keel cannot see an external workflow's people otherwise.
    automated: root && !failed && attributes['keel.reviewed'] !== true,
    latencyMs: root ? record.endedAt.getTime() - record.startedAt.getTime() : null,
    ...(usage ? { modelCalls: 1, tokensIn: usage.tokensIn, tokensOut: usage.tokensOut, costUsd: usage.costUsd } : {}),
    metricValue: root && typeof metric === 'number' && Number.isFinite(metric) ? metric : null,
    counts: root && failed ? [{ dimension: 'error_class', value: typeof errorType === 'string' && errorType !== '' ? errorType : 'error' }] : [],
  };
}

type Target = { workflowId: string } | { reason: string; denied?: string };

/** The kind of every workflow a request's resources may name (one query). */
export async function workflowKindsOf(db: Db, request: OtlpRequest): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const rs of request.resourceSpans) {
    for (const key of ['keel.workflow.id', 'service.name']) {
      const v = rs.resource[key];
      if (typeof v === 'string' && v !== '') ids.add(v);
    }
  }
  if (ids.size === 0) return new Map();
  const r = await db.query<{ id: string; kind: string }>('SELECT id, kind FROM workflows WHERE id = ANY($1::text[])', [[...ids]]);
  return new Map(r.rows.map((w) => [w.id, w.kind]));
}

/**
 * The workflow a resource's spans belong to, or why they are refused. A workflow the caller may
 * not even see is reported as unknown, as the rest of the API does, so its existence stays private.
 */
function workflowOf(resource: Attributes, workflowKinds: ReadonlyMap<string, string>, access: IngestAccess): Target {
  const named = resource['keel.workflow.id'];
  const service = resource['service.name'];
  let id: string;
  if (typeof named === 'string' && named !== '') id = named;
  else if (typeof service === 'string' && workflowKinds.get(service) === 'external') id = service;
  else {
    return { reason: `the resource names no workflow: set the resource attribute keel.workflow.id (or service.name) to an external workflow's id${typeof service === 'string' ? ` (service.name is "${service}")` : ''}` };
  }
  const kind = workflowKinds.get(id);
  const visible = access.can('workflows:read', id) || access.can('traces:write', id);
  if (kind === undefined || !visible) return { reason: `no workflow "${id}"` };
  if (kind !== 'external') return { reason: `workflow "${id}" is managed by Keel, which traces its runs itself; only external workflows send spans` };
  if (!access.can('traces:write', id)) return { reason: `not allowed to write traces of workflow "${id}" (needs traces:write there)`, denied: id };
  return { workflowId: id };
}
