// The overview: every workflow a person may see with its deployments and live figures, read in four
// statements whatever the number of workflows (workflows, deployments, runs grouped by workflow,
// review tasks grouped by workflow). The runs and reviews tables are read here directly, as the
// review metrics do, because the figures are joins and groupings only SQL does in one pass.
import type { Queryable } from '../db/index.js';
import { stages, type Stage } from '../registry/index.js';

const hour = 3_600_000;
const day = 24 * hour;
/** Coverage and override are measured over the last seven days, as the review metrics do by default. */
export const overviewWindowMs = 7 * day;
/** Failing is judged over the last day. */
export const failingWindowMs = day;

export type Health = 'ok' | 'failing' | 'stuck' | 'paused' | 'idle' | 'not_deployed';

export interface OverviewWorkflow {
  id: string; title: string; kind: 'managed' | 'external'; owner: string; team: string | null; risk: 'low' | 'medium' | 'high';
  stages: Array<{ stage: Stage; version_number: number; paused: boolean; deployed_at: Date }>;
  health: Health;
  runs_today: number; failed_today: number;
  coverage_pct: number | null; override_pct: number | null;
  queue_open: number; queue_oldest_at: Date | null; last_run_at: Date | null;
}

export interface Overview {
  generated_at: Date;
  window_since: Date;
  workflows: OverviewWorkflow[];
}

interface WorkflowRow {
  id: string; title: string; kind: 'managed' | 'external'; owner: string; team: string | null; risk: 'low' | 'medium' | 'high';
  last_run_at: Date | null;
}
interface DeploymentRow { workflow_id: string; stage: Stage; version_number: number; paused: boolean; deployed_at: Date }
interface RunFigures {
  workflow_id: string; runs_today: number; failed_today: number; finished: number; automated: number; failed_day: number; succeeded_day: number;
}
interface ReviewFigures {
  workflow_id: string; open: number; oldest_open: Date | null; overdue: number; approved: number; overridden: number; asked_week: number;
}

// last_run_at per workflow is one backwards step on runs_workflow_created each.
const workflowsSql = `
SELECT w.id, w.title, w.kind, w.owner, w.team, w.risk,
       (SELECT max(r.created_at) FROM runs r WHERE r.workflow_id = w.id AND r.purpose = 'live') AS last_run_at
  FROM workflows w WHERE $1::text[] IS NULL OR w.id = ANY($1::text[]) ORDER BY w.id`;

const deploymentsSql = `
SELECT d.workflow_id, d.stage, v.number AS version_number, d.paused, d.deployed_at
  FROM deployments d JOIN workflow_versions v ON v.id = d.version_id
 WHERE $1::text[] IS NULL OR d.workflow_id = ANY($1::text[])`;

// A run's updated_at is never before its creation nor its end, so "updated in the window" holds
// every run created, ended or failed in it, and reads them through runs_updated. A run that ended
// without an end time (outcome_unknown waits for a person) counts from its last change, as in the
// review metrics. Coverage: of the runs that ended in the window, those that succeeded with no
// review task at all. $2 week start, $3 midnight UTC, $4 a day ago, $5 now.
const runsSql = `
WITH r AS (
  SELECT workflow_id, id, status, created_at, coalesce(finished_at, updated_at) AS ended_at,
         status IN ('succeeded', 'rejected', 'failed', 'canceled', 'outcome_unknown') AS ended
    FROM runs
   WHERE updated_at >= $2 AND purpose = 'live' AND ($1::text[] IS NULL OR workflow_id = ANY($1::text[]))
)
SELECT workflow_id,
       count(*) FILTER (WHERE created_at >= $3 AND created_at < $5)::int AS runs_today,
       count(*) FILTER (WHERE created_at >= $3 AND created_at < $5 AND status = 'failed')::int AS failed_today,
       count(*) FILTER (WHERE ended AND ended_at >= $2 AND ended_at < $5)::int AS finished,
       count(*) FILTER (WHERE ended AND ended_at >= $2 AND ended_at < $5 AND status = 'succeeded'
         AND NOT EXISTS (SELECT 1 FROM reviews t WHERE t.run_id = r.id))::int AS automated,
       count(*) FILTER (WHERE status IN ('failed', 'outcome_unknown') AND ended_at >= $4 AND ended_at < $5)::int AS failed_day,
       count(*) FILTER (WHERE status = 'succeeded' AND ended_at >= $4 AND ended_at < $5)::int AS succeeded_day
  FROM r GROUP BY workflow_id`;

// Open tasks (whatever their age) and the tasks decided in the window, as two halves so that each
// can use its own index (reviews_queue for the open ones, reviews_workflow_decided for the rest).
// Override as in the review metrics: edited + rejected over approved + edited + rejected, expired
// tasks left out. Every task created in the window is in one half: open, or decided since.
const reviewsSql = `
SELECT workflow_id,
       count(*) FILTER (WHERE open)::int AS open,
       min(created_at) FILTER (WHERE open) AS oldest_open,
       count(*) FILTER (WHERE open AND due_at < $3)::int AS overdue,
       count(*) FILTER (WHERE decided AND status = 'approved')::int AS approved,
       count(*) FILTER (WHERE decided AND status IN ('edited', 'rejected'))::int AS overridden,
       count(*) FILTER (WHERE created_at >= $2 AND created_at < $3)::int AS asked_week
  FROM (SELECT workflow_id, status, created_at, due_at, created_at <= $3 AS open, false AS decided
          FROM reviews
         WHERE status IN ('pending', 'escalated') AND ($1::text[] IS NULL OR workflow_id = ANY($1::text[]))
        UNION ALL
        SELECT workflow_id, status, created_at, due_at, false, decided_at < $3
          FROM reviews
         WHERE decided_at >= $2 AND status NOT IN ('pending', 'escalated') AND ($1::text[] IS NULL OR workflow_id = ANY($1::text[]))) t
 GROUP BY workflow_id`;

/**
 * The overview of the workflows in `onlyIds` (every one when undefined), as of `now`: runs today
 * count from midnight UTC; coverage and override over the seven days before `now`.
 */
export async function readOverview(db: Queryable, onlyIds: readonly string[] | undefined, now: Date): Promise<Overview> {
  const ids = onlyIds ?? null;
  const weekStart = new Date(now.getTime() - overviewWindowMs);
  const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const dayAgo = new Date(now.getTime() - failingWindowMs);
  const workflows = (await db.query<WorkflowRow>(workflowsSql, [ids])).rows;
  const deployments = (await db.query<DeploymentRow>(deploymentsSql, [ids])).rows;
  const runs = new Map((await db.query<RunFigures>(runsSql, [ids, weekStart, midnight, dayAgo, now])).rows.map((r) => [r.workflow_id, r]));
  const reviews = new Map((await db.query<ReviewFigures>(reviewsSql, [ids, weekStart, now])).rows.map((r) => [r.workflow_id, r]));

  const order = (s: Stage) => stages.indexOf(s);
  return {
    generated_at: now,
    window_since: weekStart,
    workflows: workflows.map((w) => {
      const run = runs.get(w.id);
      const review = reviews.get(w.id);
      const deployed = deployments.filter((d) => d.workflow_id === w.id).sort((a, b) => order(a.stage) - order(b.stage));
      const decided = (review?.approved ?? 0) + (review?.overridden ?? 0);
      return {
        id: w.id, title: w.title, kind: w.kind, owner: w.owner, team: w.team, risk: w.risk,
        stages: deployed.map(({ stage, version_number, paused, deployed_at }) => ({ stage, version_number, paused, deployed_at })),
        health: healthOf({ deployed, run, review, lastRunAt: w.last_run_at, now }),
        runs_today: run?.runs_today ?? 0,
        failed_today: run?.failed_today ?? 0,
        coverage_pct: run && run.finished > 0 ? (100 * run.automated) / run.finished : null,
        override_pct: decided > 0 ? (100 * (review?.overridden ?? 0)) / decided : null,
        queue_open: review?.open ?? 0,
        queue_oldest_at: review?.oldest_open ?? null,
        last_run_at: w.last_run_at,
      };
    }),
  };
}

/**
 * The health rule, first match wins:
 * 1. not_deployed: no stage points at a version.
 * 2. paused: production is deployed and paused (the operator's decision explains everything below).
 * 3. failing: in the last 24 h more runs ended failed or outcome_unknown than succeeded (at least one).
 * 4. stuck: an open review task (pending or escalated) is past its SLA (due_at before now).
 * 5. idle: no run started, and no review task was asked for, in the last 7 days (an external
 *    workflow shows its activity through the review tasks it asks for).
 * 6. ok.
 */
export function healthOf(input: {
  deployed: readonly { stage: Stage; paused: boolean }[]; run?: Pick<RunFigures, 'failed_day' | 'succeeded_day'>;
  review?: Pick<ReviewFigures, 'overdue' | 'asked_week'>; lastRunAt: Date | null; now: Date;
}): Health {
  if (input.deployed.length === 0) return 'not_deployed';
  if (input.deployed.some((d) => d.stage === 'production' && d.paused)) return 'paused';
  const failed = input.run?.failed_day ?? 0;
  if (failed > 0 && failed > (input.run?.succeeded_day ?? 0)) return 'failing';
  if ((input.review?.overdue ?? 0) > 0) return 'stuck';
  const ranLately = input.lastRunAt !== null && input.lastRunAt.getTime() >= input.now.getTime() - overviewWindowMs;
  if (!ranLately && (input.review?.asked_week ?? 0) === 0) return 'idle';
  return 'ok';
}
