// The rollback drill: the seeds want a rollback path that has been executed, not just written. On
// the sandbox stage, the version there is rolled back with the same rollback production would use
// (registry rollbackStage), a run is started through the deployment and must flow to its end on
// the older version, the stage is moved forward again, and a run must flow on the version. Every
// step is recorded as it happens; a drill that fails part-way puts the version back on sandbox.
// A version with no earlier one on sandbox (a workflow's first) is rolled back in production by
// pausing it, so its drill pauses sandbox, checks that triggers are refused or held, and resumes.
// A passed drill is the evidence the gate into production reads.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { getRun, startTrialRun, type RunRow } from '../engine/index.js';
import { datasetVersionCases } from '../evals/index.js';
import { coerceError, isKeelError, KeelError } from '../errors.js';
import { getWorkflow, moveDeployment, resolveDeployment, rollbackStage, setPaused, type VersionRow } from '../registry/index.js';

export interface DrillStep {
  step: 'rollback' | 'run_on_previous' | 'triggers_refused' | 'roll_forward' | 'run_on_version';
  ok: boolean;
  at: string;
  detail: string;
  version?: string;
  run?: string;
}

export interface DrillRow {
  id: string;
  workflow_id: string;
  version_id: string;
  rolled_back_to: string | null;
  status: 'running' | 'passed' | 'failed';
  steps: DrillStep[];
  error: string | null;
  started_by: string;
  started_at: Date;
  finished_at: Date | null;
}

export interface RunDrill {
  workflowId: string;
  actor: string;
  /** The input of the drill's runs; the first case of the workflow's eval dataset when absent. */
  input?: unknown;
  /** How long each drill run may take to end. */
  runTimeoutMs?: number;
  pollMs?: number;
}

export async function runDrill(db: Db, request: RunDrill): Promise<DrillRow> {
  const { version } = await resolveDeployment(db, request.workflowId, 'sandbox').catch((error: unknown) => {
    if (isKeelError(error, 'not_deployed')) {
      throw new KeelError('not_deployed', `A drill runs on sandbox, and nothing of ${request.workflowId} is deployed there.`, {
        hint: `Promote the version into sandbox first: keel promote ${request.workflowId} --to sandbox`,
      });
    }
    throw error;
  });
  const input = request.input !== undefined ? request.input : await sampleInput(db, version);
  const id = `drill_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO rollback_drills (id, workflow_id, version_id, status, started_by) VALUES ($1, $2, $3, 'running', $4)`,
      [id, request.workflowId, version.id, request.actor]);
    await recordAudit(tx, { actor: request.actor, action: 'drill:started', subjectType: 'workflow', subjectId: request.workflowId, data: { drill: id, version: version.id } });
  });
  const steps: DrillStep[] = [];
  const record = async (step: DrillStep) => {
    steps.push(step);
    await db.query(`UPDATE rollback_drills SET steps = $2::jsonb WHERE id = $1`, [id, JSON.stringify(steps)]);
  };
  const now = () => new Date().toISOString();
  let rolledBack = false;
  try {
    const back = await rollbackStage(db, request.workflowId, 'sandbox', `drill:${id}`).catch((error: unknown) => {
      // A first version has nothing before it: its rollback in production is a pause, so that is what is drilled.
      if (isKeelError(error, 'conflict')) return null;
      throw error;
    });
    if (back === null) {
      await drillPause(db, request, id, version, record);
    } else {
      rolledBack = true;
      await db.query(`UPDATE rollback_drills SET rolled_back_to = $2 WHERE id = $1`, [id, back.deployment.version_id]);
      await record({ step: 'rollback', ok: true, at: now(), version: back.deployment.version_id, detail: `sandbox rolled back from v${back.from.number} to v${back.deployment.version_number}` });
      await record(await flows(db, request, id, 'run_on_previous', back.deployment.version_id, input));
      await moveDeployment(db, request.workflowId, 'sandbox', version.id, `drill:${id}`);
      rolledBack = false;
      await record({ step: 'roll_forward', ok: true, at: now(), version: version.id, detail: `sandbox moved forward to v${version.number} again` });
    }
    await record(await flows(db, request, id, 'run_on_version', version.id, input));
    return await finish(db, id, request, 'passed', null);
  } catch (error) {
    const failure = coerceError(error);
    if (rolledBack) {
      // Whatever failed, the drill does not leave sandbox on the older version.
      await moveDeployment(db, request.workflowId, 'sandbox', version.id, `drill:${id}`);
      await record({ step: 'roll_forward', ok: true, at: now(), version: version.id, detail: `sandbox put back on v${version.number} after the failure` });
    }
    return finish(db, id, request, 'failed', failure.message);
  }
}

/**
 * The drill of a version with no earlier one on sandbox: pause the stage (what `keel pause` does to
 * production), check that a trigger is refused or held, and resume. A pause left by a failure is
 * resumed, so the drill never leaves sandbox paused.
 */
async function drillPause(db: Db, request: RunDrill, id: string, version: VersionRow, record: (step: DrillStep) => Promise<void>): Promise<void> {
  const actor = `drill:${id}`;
  await setPaused(db, request.workflowId, 'sandbox', true, actor, { reason: 'rollback drill' });
  try {
    await record({ step: 'rollback', ok: true, at: new Date().toISOString(), version: version.id, detail: `v${version.number} has no earlier version on sandbox: its rollback is a pause, so sandbox was paused` });
    // What a trigger meets: refused (stage_paused) or, when the file queues triggers, a paused deployment that holds their runs.
    const refused = await resolveDeployment(db, request.workflowId, 'sandbox').then(
      (d) => { if (!d.pause) throw new Error('sandbox did not pause'); return false; },
      (error: unknown) => { if (isKeelError(error, 'stage_paused')) return true; throw error; },
    );
    await record({
      step: 'triggers_refused', ok: true, at: new Date().toISOString(), version: version.id,
      detail: refused ? 'a new trigger was refused with stage_paused' : 'new triggers are queued and held until the resume (on_pause.triggers: queue)',
    });
  } finally {
    await setPaused(db, request.workflowId, 'sandbox', false, actor, { reason: 'rollback drill done' });
  }
  await record({ step: 'roll_forward', ok: true, at: new Date().toISOString(), version: version.id, detail: `sandbox resumed on v${version.number}` });
}

/** Starts a drill run through the sandbox deployment and waits for it to end; it must end on `expected` and succeed. */
async function flows(db: Db, request: RunDrill, drillId: string, step: 'run_on_previous' | 'run_on_version', expected: string, input: unknown): Promise<DrillStep> {
  const { version } = await resolveDeployment(db, request.workflowId, 'sandbox');
  if (version.id !== expected) throw new Error(`sandbox points at ${version.id}, not ${expected}: the deployment did not move`);
  const { run } = await db.transaction((tx) => startTrialRun(tx, { version, purpose: 'drill', input, dedupeKey: `${drillId}:${step}`, requestedBy: request.actor }));
  const ended = await waitForEnd(db, run.id, request.runTimeoutMs ?? 60_000, request.pollMs ?? 100);
  if (ended.status !== 'succeeded') {
    throw new Error(`the drill run ${run.id} on v${version.number} ended ${ended.status}${ended.error ? `: ${ended.error.message}` : ''}`);
  }
  return { step, ok: true, at: new Date().toISOString(), version: version.id, run: run.id, detail: `run ${run.id} flowed to its end on v${version.number}` };
}

async function waitForEnd(db: Db, runId: string, timeoutMs: number, pollMs: number): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(db, runId);
    if (['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`the drill run ${runId} did not end within ${Math.round(timeoutMs / 1000)} s (it is ${run.status}); are workers running?`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function sampleInput(db: Db, version: VersionRow): Promise<unknown> {
  const dataset = version.definition.evals?.dataset;
  if (dataset) {
    try {
      const { cases } = await datasetVersionCases(db, version.workflow_id, dataset, 'latest', { limit: 1 });
      if (cases[0]) return cases[0].input;
    } catch (error) {
      if (!isKeelError(error, 'not_found')) throw error;
    }
  }
  throw new KeelError('invalid_input', `A drill needs an input for its runs, and ${version.workflow_id} has no dataset case to take one from.`, {
    problems: [{ path: 'input', message: 'give one (the workflow\'s input contract applies)' }],
  });
}

async function finish(db: Db, id: string, request: RunDrill, status: 'passed' | 'failed', error: string | null): Promise<DrillRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<DrillRow>(
      `UPDATE rollback_drills SET status = $2, error = $3, finished_at = now() WHERE id = $1 RETURNING *`, [id, status, error],
    );
    await recordAudit(tx, {
      actor: request.actor, action: status === 'passed' ? 'drill:passed' : 'drill:failed', subjectType: 'workflow', subjectId: request.workflowId,
      data: { drill: id, version: r.rows[0]!.version_id, error },
    });
    return r.rows[0]!;
  });
}

export async function listDrills(db: Db, workflowId: string): Promise<DrillRow[]> {
  await getWorkflow(db, workflowId);
  const r = await db.query<DrillRow>(`SELECT * FROM rollback_drills WHERE workflow_id = $1 ORDER BY started_at DESC LIMIT 50`, [workflowId]);
  return r.rows;
}
