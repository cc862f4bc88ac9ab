// Reading the log: filtered pages in chain order with a seq cursor, and an export that pages
// through everything that matches. Both link pending events first, so they show the whole chain.
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { linkAuditChain } from './link.js';

export interface AuditFilter {
  actor?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  /** Events at or after this time. */
  since?: Date;
  /** Events before this time. */
  until?: Date;
  /** Events after this seq (the cursor a previous page answered). */
  afterSeq?: number;
  /** 1..1000, default 100. */
  limit?: number;
}

/** A linked event as the API answers it. */
export interface AuditEventView {
  seq: number;
  id: number;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  data: Record<string, unknown>;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  /** The exact text that was hashed: with prev_hash and seq, anyone can recompute `hash`. */
  body: string;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass as afterSeq for the next page; null when this page is the last. */
  nextAfterSeq: number | null;
}

export const maxAuditPage = 1000;

interface EventRow extends Omit<AuditEventView, 'at'> {
  created_at: Date;
}

function view(row: EventRow): AuditEventView {
  const { created_at, ...rest } = row;
  return { ...rest, seq: Number(row.seq), id: Number(row.id), at: created_at.toISOString() };
}

async function page(db: Db, filter: AuditFilter, limit: number): Promise<AuditPage> {
  const r = await db.query<EventRow>(
    `SELECT seq, id, created_at, actor, action, subject_type, subject_id, before, after, data, request_id, prev_hash, hash, body
     FROM audit_events
     WHERE seq > $1 AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3)
       AND ($4::text IS NULL OR subject_type = $4) AND ($5::text IS NULL OR subject_id = $5)
       AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
     ORDER BY seq LIMIT $8`,
    [filter.afterSeq ?? 0, filter.actor ?? null, filter.action ?? null, filter.subjectType ?? null, filter.subjectId ?? null,
      filter.since ?? null, filter.until ?? null, limit + 1],
  );
  const events = r.rows.slice(0, limit).map(view);
  return { events, nextAfterSeq: r.rows.length > limit ? (events.at(-1)?.seq ?? null) : null };
}

function checkLimit(limit: number | undefined): number {
  const n = limit ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > maxAuditPage) {
    throw new KeelError('invalid_input', `limit must be a whole number from 1 to ${maxAuditPage}.`, { problems: [{ path: 'limit', message: `1..${maxAuditPage}` }] });
  }
  return n;
}

/** One page of events matching the filter, in chain (seq) order. */
export async function listAuditEvents(db: Db, filter: AuditFilter = {}): Promise<AuditPage> {
  const limit = checkLimit(filter.limit);
  await linkAuditChain(db);
  return page(db, filter, limit);
}

/** Every event matching the filter (limit ignored), a page at a time, in chain order. */
export async function* exportAuditEvents(db: Db, filter: AuditFilter = {}): AsyncGenerator<AuditEventView[]> {
  await linkAuditChain(db);
  let afterSeq = filter.afterSeq ?? 0;
  for (;;) {
    const p = await page(db, { ...filter, afterSeq }, maxAuditPage);
    if (p.events.length > 0) yield p.events;
    if (p.nextAfterSeq === null) return;
    afterSeq = p.nextAfterSeq;
  }
}
