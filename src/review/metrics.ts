// What the review queue says about a workflow: how often people change what it proposes, how much
// of its work needs nobody, how fast escalations get an answer, and what is waiting now. Two
// statements whatever the number of versions (GROUPING SETS give the per-version rows, the
// per-reason rows and the totals in one pass); the runs table is read here, not through the engine,
// because coverage is a join of runs against review tasks that only SQL can do in one go.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';

/** The window used when none is given: the last seven days. */
export const defaultMetricsWindowMs = 7 * 24 * 3_600_000;

export interface ReviewMetricsQuery {
  workflowId: string;
  /** Only this version (its id); every version, each on its own row, when absent. */
  versionId?: string;
  /** Start of the window (inclusive); `until` minus seven days by default. */
  since?: Date;
  /** End of the window (exclusive); `now` by default. */
  until?: Date;
  /** The clock the queue's age is measured against; injected by tests. */
  now?: Date;
}

/** Tasks by why they were asked for. */
export interface ReasonCount {
  reason: string;
  /** Tasks created in the window. */
  asked: number;
  /** Tasks decided by a person in the window (approved, edited, rejected). */
  decided: number;
  /** Of those, edited or rejected. */
  overridden: number;
  /** Tasks that expired in the window, decided by nobody. */
  expired: number;
}

export interface ReviewFigures {
  /** Tasks that reached a final state in the window: approved + edited + rejected + expired. */
  decided: number;
  approved: number;
  edited: number;
  rejected: number;
  /** Nobody decided them by their deadline; left out of the override share. */
  expired: number;
  /** 100 x (edited + rejected) / (approved + edited + rejected); null when nobody decided anything. */
  override_pct: number | null;
  /** Runs that ended in the window: succeeded, rejected, failed, canceled or outcome_unknown. */
  finished_runs: number;
  /** Of those, runs that succeeded without any review task. */
  automated_runs: number;
  /** 100 x automated_runs / finished_runs; null when no run ended. */
  coverage_pct: number | null;
  /** Escalated tasks a person decided in the window. */
  escalated_decided: number;
  /** Seconds from escalation to decision over those tasks (continuous percentiles); null when none. */
  escalation_p50_seconds: number | null;
  escalation_p95_seconds: number | null;
  /** Tasks open now (pending or escalated), whatever the window. */
  open: number;
  /** Age in seconds of the oldest open task; null when the queue is empty. */
  oldest_open_seconds: number | null;
  by_reason: ReasonCount[];
}

export interface VersionFigures extends ReviewFigures {
  /** Null for tasks of an external workflow that named no version. */
  version_id: string | null;
  version: number | null;
}

export interface ReviewMetrics {
  workflow_id: string;
  since: Date;
  until: Date;
  now: Date;
  /** Every version together (or the one asked for). */
  total: ReviewFigures;
  /** One row per version with any task or finished run in the window (or the one asked for), newest first. */
  versions: VersionFigures[];
}

interface ReviewGroupRow {
  version_id: string | null;
  version_number: number | null;
  reason: string | null;
  no_version: number;
  no_reason: number;
  decided: number;
  approved: number;
  edited: number;
  rejected: number;
  expired: number;
  asked: number;
  escalated_decided: number;
  p50: number | null;
  p95: number | null;
  open: number;
  oldest_open_seconds: number | null;
}

interface RunGroupRow {
  version_id: string | null;
  version_number: number | null;
  no_version: number;
  finished: number;
  automated: number;
}

const decidedByPerson = `('approved', 'edited', 'rejected')`;

// A task counts for the version it was made under: its own version_id (set since the review queue
// work), else its run's. Tasks of external workflows without a version group under null.
const reviewSql = `
WITH t AS (
  SELECT coalesce(r.version_id, ru.version_id) AS version_id, r.status, r.reason, r.created_at, r.escalated_at, r.decided_at,
         r.status IN ('approved', 'edited', 'rejected', 'expired') AND r.decided_at >= $3 AND r.decided_at < $4 AS decided_in,
         r.status IN ('pending', 'escalated') AND r.created_at <= $5 AS open_now
    FROM reviews r LEFT JOIN runs ru ON ru.id = r.run_id
   WHERE r.workflow_id = $1 AND ($2::text IS NULL OR coalesce(r.version_id, ru.version_id) = $2)
     AND (r.status IN ('pending', 'escalated') OR r.decided_at >= $3 OR r.created_at >= $3)
)
SELECT t.version_id, v.number AS version_number, t.reason,
       GROUPING(t.version_id) AS no_version, GROUPING(t.reason) AS no_reason,
       count(*) FILTER (WHERE t.decided_in)::int AS decided,
       count(*) FILTER (WHERE t.decided_in AND t.status = 'approved')::int AS approved,
       count(*) FILTER (WHERE t.decided_in AND t.status = 'edited')::int AS edited,
       count(*) FILTER (WHERE t.decided_in AND t.status = 'rejected')::int AS rejected,
       count(*) FILTER (WHERE t.decided_in AND t.status = 'expired')::int AS expired,
       count(*) FILTER (WHERE t.created_at >= $3 AND t.created_at < $4)::int AS asked,
       count(*) FILTER (WHERE t.decided_in AND t.status IN ${decidedByPerson} AND t.escalated_at IS NOT NULL)::int AS escalated_decided,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.decided_at - t.escalated_at)::float8)
         FILTER (WHERE t.decided_in AND t.status IN ${decidedByPerson} AND t.escalated_at IS NOT NULL) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM t.decided_at - t.escalated_at)::float8)
         FILTER (WHERE t.decided_in AND t.status IN ${decidedByPerson} AND t.escalated_at IS NOT NULL) AS p95,
       count(*) FILTER (WHERE t.open_now)::int AS open,
       extract(epoch FROM $5::timestamptz - min(t.created_at) FILTER (WHERE t.open_now))::float8 AS oldest_open_seconds
  FROM t LEFT JOIN workflow_versions v ON v.id = t.version_id
 GROUP BY GROUPING SETS ((t.version_id, v.number), (), (t.reason), (t.version_id, v.number, t.reason))`;

// Runs that ended in the window; one without an end time (outcome_unknown waits for a person to
// reconcile it) counts from when it last changed.
const runSql = `
SELECT ru.version_id, v.number AS version_number, GROUPING(ru.version_id) AS no_version,
       count(*)::int AS finished,
       count(*) FILTER (WHERE ru.status = 'succeeded'
         AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.run_id = ru.id AND r.workflow_id = ru.workflow_id))::int AS automated
  FROM runs ru JOIN workflow_versions v ON v.id = ru.version_id
 WHERE ru.workflow_id = $1 AND ru.purpose = 'live' AND ($2::text IS NULL OR ru.version_id = $2)
   AND ru.status IN ('succeeded', 'rejected', 'failed', 'canceled', 'outcome_unknown')
   AND coalesce(ru.finished_at, ru.updated_at) >= $3 AND coalesce(ru.finished_at, ru.updated_at) < $4
 GROUP BY GROUPING SETS ((ru.version_id, v.number), ())`;

/**
 * Review figures of one workflow over a window, in total and per version.
 *
 * - Override % = (edited + rejected) / (approved + edited + rejected) of the tasks decided in the
 *   window; expired tasks were decided by nobody and are reported on their own.
 * - Automation coverage % = runs that succeeded with no review task at all, over every run that
 *   finished in the window (succeeded, rejected, failed, canceled, outcome_unknown): the share of
 *   finished work acted on without a person. A run whose review was approved is not covered.
 * - Escalation latency = decided_at - escalated_at of escalated tasks a person decided in the
 *   window, as continuous percentiles (percentile_cont) in seconds.
 * - Queue = tasks open at `now`, whatever the window, and the age of the oldest.
 * - By reason: tasks asked for (created) in the window, decided by a person, overridden and expired, per reason.
 */
export async function reviewMetrics(db: Queryable, query: ReviewMetricsQuery): Promise<ReviewMetrics> {
  const now = query.now ?? new Date();
  const until = query.until ?? now;
  const since = query.since ?? new Date(until.getTime() - defaultMetricsWindowMs);
  if (!(since.getTime() < until.getTime())) {
    throw new KeelError('invalid_input', `The window is empty: since ${since.toISOString()} is not before until ${until.toISOString()}.`, {
      problems: [{ path: 'since', message: 'must be before until' }],
    });
  }
  const params = [query.workflowId, query.versionId ?? null, since, until, now];
  const reviews = (await db.query<ReviewGroupRow>(reviewSql, params)).rows;
  const runs = (await db.query<RunGroupRow>(runSql, params.slice(0, 4))).rows;

  const key = (id: string | null) => id ?? '';
  const byVersion = new Map<string, { version_id: string | null; version: number | null }>();
  for (const r of [...reviews, ...runs]) {
    if (r.no_version === 0) byVersion.set(key(r.version_id), { version_id: r.version_id, version: r.version_number });
  }
  if (query.versionId !== undefined && !byVersion.has(query.versionId)) {
    const v = await db.query<{ number: number }>(`SELECT number FROM workflow_versions WHERE id = $1`, [query.versionId]);
    byVersion.set(query.versionId, { version_id: query.versionId, version: v.rows[0]?.number ?? null });
  }
  const figures = (version: string | null | undefined): ReviewFigures => {
    const matches = (r: { no_version: number; version_id: string | null }) =>
      version === undefined ? r.no_version === 1 : r.no_version === 0 && r.version_id === version;
    const main = reviews.find((r) => matches(r) && r.no_reason === 1);
    const run = runs.find(matches);
    const reasons = reviews.filter((r) => matches(r) && r.no_reason === 0 && r.reason !== null)
      .map((r) => ({ reason: r.reason!, asked: r.asked, decided: r.approved + r.edited + r.rejected, overridden: r.edited + r.rejected, expired: r.expired }))
      .sort((a, b) => b.asked - a.asked || a.reason.localeCompare(b.reason));
    return summarise(main, run, reasons);
  };
  const versions = [...byVersion.values()]
    .sort((a, b) => (b.version ?? -1) - (a.version ?? -1))
    .map((v) => ({ version_id: v.version_id, version: v.version, ...figures(v.version_id) }));
  return { workflow_id: query.workflowId, since, until, now, total: figures(undefined), versions };
}

function summarise(r: ReviewGroupRow | undefined, run: RunGroupRow | undefined, byReason: ReasonCount[]): ReviewFigures {
  const approved = r?.approved ?? 0;
  const edited = r?.edited ?? 0;
  const rejected = r?.rejected ?? 0;
  const byPerson = approved + edited + rejected;
  const finished = run?.finished ?? 0;
  const automated = run?.automated ?? 0;
  return {
    decided: r?.decided ?? 0, approved, edited, rejected, expired: r?.expired ?? 0,
    override_pct: byPerson === 0 ? null : (100 * (edited + rejected)) / byPerson,
    finished_runs: finished, automated_runs: automated, coverage_pct: finished === 0 ? null : (100 * automated) / finished,
    escalated_decided: r?.escalated_decided ?? 0,
    escalation_p50_seconds: numberOrNull(r?.p50), escalation_p95_seconds: numberOrNull(r?.p95),
    open: r?.open ?? 0, oldest_open_seconds: numberOrNull(r?.oldest_open_seconds),
    by_reason: byReason,
  };
}

// float8 arrives as a number from both drivers; the guard keeps a driver change from leaking strings.
function numberOrNull(v: number | string | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}
