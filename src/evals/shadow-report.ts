// A shadow's report: its progress, its figures over the pairs compared so far (read while it runs,
// kept as its summary once it ends), and the pairs where the candidate disagreed with the live
// version or with people, with both values and both run ids so each case can be opened.
import type { Queryable } from '../db/index.js';
import { shadowFigures, type ComparedPair, type ShadowSummary } from './shadow-figures.js';
import { getShadow, type ShadowPairRow, type ShadowRunRow } from './shadow-runs.js';

export interface ShadowReport {
  shadow: ShadowRunRow;
  pairs: { total: number; pending: number; running: number; compared: number };
  figures: ShadowSummary;
  /** Compared pairs where the candidate's value differs from the live version's or from people's answer, in copy order. */
  disagreements: ShadowPairRow[];
  /** How many disagreements there are in all (the list is one page of them). */
  disagreementCount: number;
}

export interface ShadowReportOptions {
  /** `live`: only where the candidate differs from the live version; `people`: only where it differs from people. */
  only?: 'live' | 'people';
  limit?: number;
  offset?: number;
}

export async function shadowReport(db: Queryable, id: string, options: ShadowReportOptions = {}): Promise<ShadowReport> {
  const shadow = await getShadow(db, id);
  const counts = (await db.query<{ pending: number; running: number; compared: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'compared')::int AS compared
       FROM shadow_pairs WHERE shadow_id = $1`, [id],
  )).rows[0]!;
  const figures = shadow.summary ?? shadowFigures((await db.query<ComparedPair>(
    `SELECT agreement_live, agreement_people, people_decision, live_status, shadow_status, live_cost_usd, shadow_cost_usd, live_latency_ms, shadow_latency_ms
       FROM shadow_pairs WHERE shadow_id = $1 AND status = 'compared'`, [id],
  )).rows);
  const filter = options.only === 'live' ? 'NOT agreement_live' : options.only === 'people' ? 'agreement_people = false'
    : '(NOT agreement_live OR agreement_people = false)';
  const disagreements = (await db.query<ShadowPairRow>(
    `SELECT * FROM shadow_pairs WHERE shadow_id = $1 AND status = 'compared' AND ${filter} ORDER BY position LIMIT $2 OFFSET $3`,
    [id, Math.min(Math.max(options.limit ?? 50, 1), 1000), Math.max(options.offset ?? 0, 0)],
  )).rows;
  const count = (await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM shadow_pairs WHERE shadow_id = $1 AND status = 'compared' AND ${filter}`, [id],
  )).rows[0]!.n;
  return {
    shadow, pairs: { total: counts.pending + counts.running + counts.compared, ...counts }, figures, disagreements, disagreementCount: count,
  };
}
