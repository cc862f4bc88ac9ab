// Eval runs as stored: starting one (a version of a workflow against one dataset version, every
// case written down as pending in the same transaction), reading it, its case results, and
// cancelling it. The runner (eval-runner.ts) moves the cases on; nothing here executes a step.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersion, type VersionRow } from '../registry/index.js';
import type { EvalsSpec } from '../spec/index.js';
import type { Interval, ScoreResult, ScorerSummary } from './scorers/index.js';
import { getDatasetVersion, memberOf } from './versions.js';

/** Cases in flight at once when neither the request nor the workflow file says. */
export const defaultEvalConcurrency = 8;

export type EvalRunStatus = 'running' | 'finished' | 'failed' | 'canceled';

export interface EvalSummary {
  scorers: ScorerSummary[];
  passRate: number;
  /** 95 % Wilson interval of the pass rate; the gate reads its lower bound. */
  interval: Interval;
  /** Whether the interval's lower bound reaches the threshold. */
  meetsThreshold: boolean;
  /** Cases whose run did not end in success (failed, rejected, refused by the input contract). */
  runErrors: number;
  costUsd: number;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  durationMs: number;
}

export interface EvalRunRow {
  id: string;
  workflow_id: string;
  version_id: string;
  dataset: string;
  dataset_version: number;
  status: EvalRunStatus;
  concurrency: number;
  threshold: number;
  evals: EvalsSpec;
  total: number;
  done: number;
  passed: number;
  summary: EvalSummary | null;
  error: { code: string; message: string } | null;
  started_by: string;
  created_at: Date;
  finished_at: Date | null;
}

export interface EvalResultRow {
  eval_run_id: string;
  case_id: string;
  position: number;
  run_id: string | null;
  status: 'pending' | 'running' | 'scored';
  passed: boolean | null;
  scores: ScoreResult[] | null;
  run_status: string | null;
  error: { code: string; message: string } | null;
  cost_usd: number | null;
  latency_ms: number | null;
}

export interface StartEvalRun {
  workflowId: string;
  /** A version number (3, v3) or id; the workflow's latest version when absent. */
  version?: string;
  /** The workflow file's `evals.dataset` when absent. */
  dataset?: string;
  datasetVersion?: number | 'latest';
  concurrency?: number;
  actor: string;
}

/**
 * Starts an eval run: the version must have an `evals` section (its scorers and threshold are
 * copied onto the run, so the figures always say what judged them) and the dataset version must
 * have cases. Every case is written as pending with its place in the dataset's order.
 */
export async function startEvalRun(db: Db, input: StartEvalRun): Promise<EvalRunRow> {
  return db.transaction(async (tx) => {
    const version = await evalVersion(tx, input.workflowId, input.version);
    const evals = version.definition.evals;
    if (!evals) {
      throw new KeelError('invalid_input', `Version ${version.number} of ${input.workflowId} has no evals section, so there is nothing to score it with.`, {
        problems: [{ path: 'evals', message: 'missing from the workflow file' }],
        hint: 'Add `evals: { dataset, threshold, scorers }` to the workflow file and deploy it (README: Evals).',
      });
    }
    const dataset = input.dataset ?? evals.dataset;
    const found = await getDatasetVersion(tx, input.workflowId, dataset, input.datasetVersion ?? 'latest');
    if (found.case_count === 0) {
      throw new KeelError('invalid_input', `Dataset ${dataset} v${found.number} of ${input.workflowId} has no cases.`, {
        problems: [{ path: 'dataset', message: 'empty' }], hint: 'Import cases with `keel datasets import`.',
      });
    }
    const id = `eval_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    const concurrency = input.concurrency ?? evals.concurrency ?? defaultEvalConcurrency;
    const r = await tx.query<EvalRunRow>(
      `INSERT INTO eval_runs (id, workflow_id, version_id, dataset, dataset_version, concurrency, threshold, evals, total, started_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10) RETURNING *`,
      [id, input.workflowId, version.id, dataset, found.number, concurrency, evals.threshold, JSON.stringify(evals), found.case_count, input.actor],
    );
    await tx.query(
      `INSERT INTO eval_results (eval_run_id, case_id, position)
       SELECT $1, c.id, (row_number() OVER (ORDER BY c.added_in, c.created_at, c.id))::int
         FROM dataset_cases c WHERE c.workflow_id = $2 AND c.dataset = $3 AND ${memberOf('$4')}`,
      [id, input.workflowId, dataset, found.number],
    );
    await recordAudit(tx, {
      actor: input.actor, action: 'eval:started', subjectType: 'workflow', subjectId: input.workflowId,
      data: { eval_run: id, version: version.id, dataset, dataset_version: found.number, cases: found.case_count, concurrency },
    });
    return r.rows[0]!;
  });
}

async function evalVersion(tx: Queryable, workflowId: string, ref: string | undefined): Promise<VersionRow> {
  if (ref !== undefined) return getVersion(tx, workflowId, ref);
  const r = await tx.query<{ latest_version_id: string | null }>(`SELECT latest_version_id FROM workflows WHERE id = $1`, [workflowId]);
  const latest = r.rows[0]?.latest_version_id;
  if (!latest) throw new KeelError('not_found', `No workflow ${workflowId}.`, { hint: 'List workflows with `keel workflows`.' });
  return getVersion(tx, workflowId, latest);
}

export async function getEvalRun(db: Queryable, id: string): Promise<EvalRunRow> {
  const r = await db.query<EvalRunRow>(`SELECT * FROM eval_runs WHERE id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No eval run ${id}.`, { hint: 'List eval runs with `keel eval list <workflow>`.' });
  return r.rows[0];
}

/** The workflow an eval run belongs to, or undefined (the permission guard asks this). */
export async function evalRunWorkflowId(db: Queryable, id: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>(`SELECT workflow_id FROM eval_runs WHERE id = $1`, [id]);
  return r.rows[0]?.workflow_id;
}

export async function listEvalRuns(db: Queryable, workflowId: string, options: { versionId?: string; limit?: number } = {}): Promise<EvalRunRow[]> {
  const r = await db.query<EvalRunRow>(
    `SELECT * FROM eval_runs WHERE workflow_id = $1 AND ($2::text IS NULL OR version_id = $2) ORDER BY created_at DESC, id DESC LIMIT $3`,
    [workflowId, options.versionId ?? null, Math.min(Math.max(options.limit ?? 20, 1), 200)],
  );
  return r.rows;
}

export interface EvalResultsOptions {
  /** `failed`: scored cases that did not pass; `passed`; or every case (default). */
  only?: 'failed' | 'passed';
  limit?: number;
  offset?: number;
}

/** Case results in the dataset's order. */
export async function listEvalResults(db: Queryable, id: string, options: EvalResultsOptions = {}): Promise<EvalResultRow[]> {
  const filter = options.only === 'failed' ? `AND status = 'scored' AND NOT passed` : options.only === 'passed' ? 'AND passed' : '';
  const r = await db.query<EvalResultRow>(
    `SELECT * FROM eval_results WHERE eval_run_id = $1 ${filter} ORDER BY position LIMIT $2 OFFSET $3`,
    [id, Math.min(Math.max(options.limit ?? 100, 1), 5000), Math.max(options.offset ?? 0, 0)],
  );
  return r.rows;
}

/** Stops an eval run: no further case starts; runs in flight finish on their own and are not scored. */
export async function cancelEvalRun(db: Db, id: string, actor: string): Promise<EvalRunRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<EvalRunRow>(
      `UPDATE eval_runs SET status = 'canceled', finished_at = now() WHERE id = $1 AND status = 'running' RETURNING *`, [id],
    );
    const run = r.rows[0];
    if (!run) {
      const existing = await getEvalRun(tx, id);
      throw new KeelError('conflict', `Eval run ${id} is ${existing.status}; only a running one can be canceled.`);
    }
    await recordAudit(tx, { actor, action: 'eval:canceled', subjectType: 'workflow', subjectId: run.workflow_id, data: { eval_run: id } });
    return run;
  });
}
