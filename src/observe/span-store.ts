// The spans table: written in batches (one statement per batch, whatever its size), read as a
// whole trace or as the newest traces of a workflow.
import type { Queryable } from '../db/index.js';
import type { Attributes, SpanEvent, SpanKind, SpanRecord, SpanStatus } from './span.js';

/**
 * Stores spans; one already stored (same trace and span id) is left as it is. Returns how many were
 * new. The batch travels as one JSON parameter, so 500 spans cost one round trip: an array of rows,
 * each an array in column order (without repeating sixteen key names per row the parameter is 40 %
 * smaller, which the OTLP receiver's throughput feels), times as epoch milliseconds.
 */
export async function insertSpans(db: Queryable, spans: readonly SpanRecord[]): Promise<number> {
  return (await writeSpans(db, spans, false)).rowCount;
}

/** One stored span's identity as a single string: its trace id and span id (fixed lengths) joined. */
export function spanKey(traceId: string, spanId: string): string {
  return traceId + spanId;
}

/**
 * Stores spans like insertSpans and answers which of them this call stored (their spanKey): a span
 * already there, from an earlier call or twice in this batch, is not among them, so whatever is
 * counted per stored span (the OTLP receiver's rollups) is counted once.
 */
export async function insertNewSpans(db: Queryable, spans: readonly SpanRecord[]): Promise<Set<string>> {
  const r = await writeSpans(db, spans, true);
  const keys = new Set<string>();
  for (const row of r.rows) keys.add(spanKey(row.trace_id, row.span_id));
  return keys;
}

async function writeSpans(db: Queryable, spans: readonly SpanRecord[], returning: boolean) {
  if (spans.length === 0) return { rows: [] as Array<{ trace_id: string; span_id: string }>, rowCount: 0 };
  // In identity order: two writers storing overlapping batches (an exporter retrying while its first
  // attempt is still in flight) then take the unique index's locks in the same order, never a deadlock.
  const sorted = [...spans].sort((a, b) => (a.traceId === b.traceId ? (a.spanId < b.spanId ? -1 : 1) : a.traceId < b.traceId ? -1 : 1));
  // A resource is shared by every span an SDK sends in one batch (and OTel SDKs' default resources
  // run to a kilobyte): each distinct one travels once and rows refer to it by position.
  const resources: unknown[] = [];
  const resourceRefs = new Map<object, number>();
  const refOf = (resource: SpanRecord['resource']): number | null => {
    if (resource === null) return null;
    let ref = resourceRefs.get(resource);
    if (ref === undefined) {
      ref = resources.push(resource) - 1;
      resourceRefs.set(resource, ref);
    }
    return ref;
  };
  const rows = sorted.map((s) => [
    s.traceId, s.spanId, s.parentSpanId, s.workflowId, s.runId, s.source, s.name, s.kind, s.startedAt.getTime(), s.endedAt.getTime(),
    s.status, s.statusMessage, s.attributes, s.events, refOf(s.resource), s.scope,
  ]);
  return db.query<{ trace_id: string; span_id: string }>(
    `INSERT INTO spans (trace_id, span_id, parent_span_id, workflow_id, run_id, source, name, kind, started_at, ended_at,
       status, status_message, attributes, events, resource, scope)
     SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, to_timestamp((r->>8)::float8 / 1000), to_timestamp((r->>9)::float8 / 1000),
       r->>10, r->>11, coalesce(r->12, '{}'), nullif(r->13, 'null'), $2::jsonb -> ((r->>14)::int), r->>15
       FROM jsonb_array_elements($1::jsonb) AS r
     ON CONFLICT (trace_id, span_id) DO NOTHING${returning ? ' RETURNING trace_id, span_id' : ''}`,
    [JSON.stringify(rows), JSON.stringify(resources)],
  );
}

export interface StoredSpan extends SpanRecord {
  /** The store's own order: the exporter's cursor. */
  id: number;
  storedAt: Date;
}

interface SpanRow {
  id: string | number; trace_id: string; span_id: string; parent_span_id: string | null; workflow_id: string; run_id: string | null;
  source: 'keel' | 'otlp'; name: string; kind: SpanKind; started_at: Date; ended_at: Date; status: SpanStatus;
  status_message: string | null; attributes: Attributes; events: Array<{ name: string; time: string; attributes?: Attributes }> | null;
  resource: Attributes | null; scope: string | null; stored_at: Date;
}

export function spanFromRow(r: SpanRow): StoredSpan {
  return {
    id: Number(r.id), traceId: r.trace_id, spanId: r.span_id, parentSpanId: r.parent_span_id, workflowId: r.workflow_id,
    runId: r.run_id, source: r.source, name: r.name, kind: r.kind, startedAt: r.started_at, endedAt: r.ended_at,
    status: r.status, statusMessage: r.status_message, attributes: r.attributes,
    events: r.events?.map((e): SpanEvent => ({ name: e.name, time: new Date(e.time), ...(e.attributes ? { attributes: e.attributes } : {}) })) ?? null,
    resource: r.resource, scope: r.scope, storedAt: r.stored_at,
  };
}

/** Every span of one trace, in start order. */
export async function readTrace(db: Queryable, traceId: string): Promise<StoredSpan[]> {
  const r = await db.query<SpanRow>(`SELECT * FROM spans WHERE trace_id = $1 ORDER BY started_at, id`, [traceId]);
  return r.rows.map(spanFromRow);
}

/** Spans stored after `afterId`, oldest first: how the exporter walks the table. */
export async function spansAfter(db: Queryable, afterId: number, limit: number): Promise<StoredSpan[]> {
  const r = await db.query<SpanRow>(`SELECT * FROM spans WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
  return r.rows.map(spanFromRow);
}

export interface TraceSummary {
  traceId: string; workflowId: string; runId: string | null; source: 'keel' | 'otlp'; name: string;
  startedAt: Date; endedAt: Date; status: SpanStatus; spans: number;
}

/** The newest traces of a workflow (by their root span), newest first. */
export async function listTraces(db: Queryable, workflowId: string, options: { before?: Date; limit: number }): Promise<TraceSummary[]> {
  const r = await db.query<{ trace_id: string; workflow_id: string; run_id: string | null; source: 'keel' | 'otlp'; name: string; started_at: Date; ended_at: Date; status: SpanStatus; spans: number }>(
    `SELECT s.trace_id, s.workflow_id, s.run_id, s.source, s.name, s.started_at, s.ended_at, s.status,
            (SELECT count(*)::int FROM spans c WHERE c.trace_id = s.trace_id) AS spans
       FROM spans s
      WHERE s.workflow_id = $1 AND s.parent_span_id IS NULL AND ($2::timestamptz IS NULL OR s.started_at < $2)
      ORDER BY s.started_at DESC LIMIT $3`,
    [workflowId, options.before ?? null, options.limit],
  );
  return r.rows.map((t) => ({
    traceId: t.trace_id, workflowId: t.workflow_id, runId: t.run_id, source: t.source, name: t.name,
    startedAt: t.started_at, endedAt: t.ended_at, status: t.status, spans: t.spans,
  }));
}
