// Shadow runs as stored: starting one (a candidate version beside the version live at a stage),
// reading and listing them, and stopping one. The runner (shadow-runner.ts) copies live runs and
// compares the pairs; nothing here executes a step.
import { randomBytes } from 'node:crypto';
import jsonata from 'jsonata';
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { terminalStatuses } from '../engine/index.js';
import { KeelError } from '../errors.js';
import { getVersion, resolveDeployment, type Stage, type VersionRow } from '../registry/index.js';
import { defaultEvalConcurrency } from './eval-runs.js';
import type { ShadowSummary } from './shadow-figures.js';

export type ShadowMode = 'mirror' | 'replay';
export type ShadowStatus = 'running' | 'stopped' | 'finished';

/** What a pair compares: a JSONata path over `{ input, steps }`, and the step whose review decisions are people's answer. */
export interface ShadowCompare {
  path: string;
  /** Null when the path does not read one step's output: then no person's decision is compared. */
  step: string | null;
}

export interface ShadowRunRow {
  id: string;
  workflow_id: string;
  candidate_version_id: string;
  live_stage: Stage;
  compare: ShadowCompare;
  mode: ShadowMode;
  replay_limit: number | null;
  max_runs: number;
  concurrency: number;
  status: ShadowStatus;
  since: Date;
  cursor_at: Date | null;
  cursor_run_id: string | null;
  summary: ShadowSummary | null;
  started_by: string;
  created_at: Date;
  stopped_at: Date | null;
  finished_at: Date | null;
}

export interface ShadowPairRow {
  shadow_id: string;
  live_run_id: string;
  trial_run_id: string | null;
  position: number;
  status: 'pending' | 'running' | 'compared';
  live_status: string | null;
  shadow_status: string | null;
  error: { code: string; message: string } | null;
  agreement_live: boolean | null;
  agreement_people: boolean | null;
  people_decision: 'approved' | 'edited' | 'rejected' | null;
  review_id: string | null;
  live_output: unknown;
  shadow_output: unknown;
  people_output: unknown;
  live_cost_usd: number | null;
  shadow_cost_usd: number | null;
  live_latency_ms: number | null;
  shadow_latency_ms: number | null;
}

export interface StartShadow {
  workflowId: string;
  /** The candidate: a version number (3, v3) or id; never the version live at the stage. */
  version: string;
  /** The stage whose live runs are copied; production by default. */
  stage?: Stage;
  /** mirror (default): every new live run while the shadow runs; replay: the last `maxRuns` live runs that ended. */
  mode?: ShadowMode;
  /** JSONata over `{ input, steps }`; the approval boundary's judged step, else the last step with an answer. */
  compare?: string;
  /** mirror: stop copying after this many; replay: how many ended runs to copy. */
  maxRuns?: number;
  /** Shadow runs in flight at once (8 by default). */
  concurrency?: number;
  actor: string;
}

export const defaultShadowMaxRuns = 500;
export const maxShadowRuns = 10_000;
/** Step kinds whose output is an answer worth comparing (actions are intercepted in sandbox; review steps name their reviewer). */
const answerKinds = new Set(['model', 'classify', 'transform', 'retrieve']);

/**
 * Starts a shadow of a candidate version beside the version live at a stage. Mirror copies every
 * live run created from now on; replay picks the last `maxRuns` live runs that had ended, at once,
 * as pending pairs. Refuses the live version itself, an external workflow and an empty stage.
 */
export async function startShadow(db: Db, input: StartShadow): Promise<ShadowRunRow> {
  const stage = input.stage ?? 'production';
  const mode = input.mode ?? 'mirror';
  const maxRuns = input.maxRuns ?? defaultShadowMaxRuns;
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > maxShadowRuns) {
    throw new KeelError('invalid_input', `maxRuns must be a whole number from 1 to ${maxShadowRuns} (got ${maxRuns}).`, { problems: [{ path: 'max_runs', message: 'out of range' }] });
  }
  return db.transaction(async (tx) => {
    const { workflow, version: live } = await resolveDeployment(tx, input.workflowId, stage, { allowPaused: true });
    if (workflow.kind !== 'managed') {
      throw new KeelError('conflict', `Workflow ${workflow.id} is external: it runs elsewhere, so Keel has no live runs of it to copy.`);
    }
    const candidate = await getVersion(tx, input.workflowId, input.version);
    if (candidate.id === live.id) {
      throw new KeelError('invalid_input', `Version ${candidate.number} is the version live at ${stage}: a shadow compares another version with it.`, {
        problems: [{ path: 'version', message: `is live at ${stage}` }], hint: 'Name the candidate version, e.g. the one deployed at testing or sandbox.',
      });
    }
    const compare = compareOf(input.compare, live, candidate);
    const id = `shadow_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    const r = await tx.query<ShadowRunRow>(
      `INSERT INTO shadow_runs (id, workflow_id, candidate_version_id, live_stage, compare, mode, replay_limit, max_runs, concurrency, since, started_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, now(), $10) RETURNING *`,
      [id, workflow.id, candidate.id, stage, JSON.stringify(compare), mode, mode === 'replay' ? maxRuns : null, maxRuns,
        input.concurrency ?? defaultEvalConcurrency, input.actor],
    );
    let chosen = 0;
    if (mode === 'replay') {
      // The last runs that ended, copied oldest first; runs of the candidate itself compare nothing.
      const picked = await tx.query(
        `INSERT INTO shadow_pairs (shadow_id, live_run_id, position)
         SELECT $1, x.id, (row_number() OVER (ORDER BY x.created_at, x.id))::int
           FROM (SELECT id, created_at FROM runs
                  WHERE workflow_id = $2 AND stage = $3 AND purpose = 'live' AND version_id <> $4 AND status = ANY($5::text[])
                  ORDER BY created_at DESC, id DESC LIMIT $6) x`,
        [id, workflow.id, stage, candidate.id, [...terminalStatuses], maxRuns],
      );
      chosen = picked.rowCount ?? 0;
      if (chosen === 0) {
        throw new KeelError('invalid_input', `No live run of ${workflow.id} at ${stage} has ended yet, so there is nothing to replay.`, {
          problems: [{ path: 'mode', message: 'no ended live runs' }], hint: 'Start a mirror shadow instead: it copies live runs as they come.',
        });
      }
    }
    await recordAudit(tx, {
      actor: input.actor, action: 'shadow:started', subjectType: 'workflow', subjectId: workflow.id,
      data: { shadow: id, candidate: candidate.id, live: live.id, stage, mode, max_runs: maxRuns, compare, ...(mode === 'replay' ? { chosen } : {}) },
    });
    return r.rows[0]!;
  });
}

/** The compared path: the one asked for (checked now, so a typo fails here), else the default of the live version. */
function compareOf(path: string | undefined, live: VersionRow, candidate: VersionRow): ShadowCompare {
  if (path !== undefined) {
    try {
      jsonata(path);
    } catch (error) {
      throw new KeelError('invalid_input', `The compare path is not valid JSONata: ${(error as Error).message}.`, {
        problems: [{ path: 'compare', message: 'JSONata syntax error' }], hint: 'Write a path over { input, steps }, e.g. steps.classify.label.',
      });
    }
    return { path, step: stepOfPath(path) };
  }
  const steps = live.definition.steps;
  const step = live.definition.approval?.output ?? steps.filter((s) => answerKinds.has(s.kind)).at(-1)?.id;
  if (step === undefined) {
    throw new KeelError('invalid_input', `Version ${live.number} has no step with an answer to compare.`, {
      problems: [{ path: 'compare', message: 'required for this workflow' }], hint: 'Say what to compare with --compare, e.g. steps.classify.label.',
    });
  }
  if (!candidate.definition.steps.some((s) => s.id === step)) {
    throw new KeelError('invalid_input', `The candidate (version ${candidate.number}) has no step ${step}, which the live version's output comes from.`, {
      problems: [{ path: 'compare', message: 'required: the versions name their steps differently' }], hint: 'Say what to compare with --compare.',
    });
  }
  return { path: /^[a-z][a-z0-9_]*$/.test(step) ? `steps.${step}` : `steps.\`${step}\``, step };
}

/** The step a path reads (`steps.label.name` reads label), or null for any other path. */
export function stepOfPath(path: string): string | null {
  const m = /^\s*steps\.(?:`([^`]+)`|([a-z][a-z0-9_]*))/.exec(path);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

export async function getShadow(db: Queryable, id: string): Promise<ShadowRunRow> {
  const r = await db.query<ShadowRunRow>(`SELECT * FROM shadow_runs WHERE id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No shadow run ${id}.`, { hint: 'List shadow runs with `keel shadow list <workflow>`.' });
  return r.rows[0];
}

/** The workflow a shadow run belongs to, or undefined. */
export async function shadowWorkflowId(db: Queryable, id: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>(`SELECT workflow_id FROM shadow_runs WHERE id = $1`, [id]);
  return r.rows[0]?.workflow_id;
}

export async function listShadows(db: Queryable, workflowId: string, options: { limit?: number } = {}): Promise<ShadowRunRow[]> {
  const r = await db.query<ShadowRunRow>(
    `SELECT * FROM shadow_runs WHERE workflow_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [workflowId, Math.min(Math.max(options.limit ?? 20, 1), 200)],
  );
  return r.rows;
}

/**
 * Stops copying: no further live run is copied and replay pairs not started are dropped (they never
 * ran). Pairs in flight are still compared when their runs end, so what was copied is not lost.
 */
export async function stopShadow(db: Db, id: string, actor: string): Promise<ShadowRunRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<ShadowRunRow>(
      `UPDATE shadow_runs SET status = 'stopped', stopped_at = now() WHERE id = $1 AND status = 'running' RETURNING *`, [id],
    );
    const shadow = r.rows[0];
    if (!shadow) {
      const existing = await getShadow(tx, id);
      throw new KeelError('conflict', `Shadow run ${id} is ${existing.status}; only a running one can be stopped.`);
    }
    const dropped = await tx.query(`DELETE FROM shadow_pairs WHERE shadow_id = $1 AND status = 'pending'`, [id]);
    await recordAudit(tx, {
      actor, action: 'shadow:stopped', subjectType: 'workflow', subjectId: shadow.workflow_id, data: { shadow: id, dropped: dropped.rowCount ?? 0 },
    });
    return shadow;
  });
}
