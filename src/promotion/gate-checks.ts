// The automatic checks of a gate, each read from Keel's own records (never from what someone says
// happened): the dataset, the version's latest finished eval run, the sandbox sample people
// decided and its error rate, rollback drills, monitors, the runbook and owner map in the file,
// and the change request a production change needs. Each check says what is missing and how to
// get it, in words a person can act on.
import { changeStatus } from '../changes/index.js';
import type { Queryable } from '../db/index.js';
import { getDatasetVersion, listEvalRuns } from '../evals/index.js';
import { isKeelError } from '../errors.js';
import { listMonitorRules } from '../observe/index.js';
import type { VersionRow } from '../registry/index.js';
import type { GateSettings } from './gate-settings.js';

export interface GateItem {
  id: string;
  label: string;
  met: boolean;
  /** What was found, or exactly what is missing and how to get it. */
  detail: string;
  kind: 'check' | 'signoff';
}

export interface SandboxSample {
  decided: number;
  overridden: number;
  /** Edited or rejected, of the decided: how often people had to correct the version. */
  errorRate: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The automatic checks of the gate into settings.stage for this version. */
export async function gateChecks(db: Queryable, version: VersionRow, settings: GateSettings, now: Date): Promise<GateItem[]> {
  const spec = version.definition;
  const v = `v${version.number}`;
  const wf = version.workflow_id;
  const items: GateItem[] = [];
  const check = (id: string, label: string, met: boolean, detail: string) => items.push({ id, label, met, detail, kind: 'check' });

  if (settings.stage === 'testing') check('dataset', `Evaluation dataset with at least ${settings.minCases} cases`, ...(await datasetReady(db, version, settings.minCases)));
  if (settings.stage === 'sandbox') {
    check('eval', "Eval pass rate at or above the workflow's threshold", ...(await evalPassed(db, version)));
    if (settings.requireFailureModes) {
      const modes = spec.failure_modes ?? [];
      check('failure_modes', 'Failure modes documented', modes.length > 0,
        modes.length > 0 ? `${modes.length} listed: ${modes.map((m) => m.name).join(', ')}` : `failure_modes is empty in ${v}: list what goes wrong and on which inputs (name, description, mitigation)`);
    }
  }
  if (settings.stage === 'production') {
    const sample = await sandboxSample(db, version.id);
    check('reviewed_sample', `At least ${settings.minReviewed} sandbox outputs of ${v} decided by people`, sample.decided >= settings.minReviewed,
      `${sample.decided} decided (${sample.overridden} edited or rejected: error rate ${pct(sample.errorRate)})` +
        (sample.decided >= settings.minReviewed ? '' : `; ${settings.minReviewed - sample.decided} more: run ${v} on sandbox and decide its review tasks`));
    if (settings.requireDrill) check('rollback_drill', `Rollback drill run on ${v}`, ...(await drillPassed(db, version)));
    if (settings.requireMonitors) check('monitors', 'Monitoring live, with a stop condition', ...(await monitorsLive(db, version)));
    check('runbook', 'Runbook complete (rollback, stop conditions, contacts, next review date)', ...runbookComplete(version, now));
    check('owner_map', 'Owner map filled (quality, access, approvals, incidents, scope)', ...ownerMap(version));
    check('change_request', 'Changes to production approved', ...(await changeApproved(db, wf, version)));
  }
  return items;
}

async function datasetReady(db: Queryable, version: VersionRow, minCases: number): Promise<[boolean, string]> {
  const evals = version.definition.evals;
  if (!evals) return [false, `v${version.number} has no evals section: add evals { dataset, threshold, scorers } to the workflow file`];
  try {
    const d = await getDatasetVersion(db, version.workflow_id, evals.dataset, 'latest');
    return d.case_count >= minCases
      ? [true, `${evals.dataset} v${d.number}: ${d.case_count} cases`]
      : [false, `${evals.dataset} v${d.number} has ${d.case_count} cases; add ${minCases - d.case_count} more (keel datasets import)`];
  } catch (error) {
    if (isKeelError(error, 'not_found')) return [false, `dataset ${evals.dataset} has no cases yet: keel datasets import ${version.workflow_id} FILE --dataset ${evals.dataset}`];
    throw error;
  }
}

async function evalPassed(db: Queryable, version: VersionRow): Promise<[boolean, string]> {
  const evals = version.definition.evals;
  const run = `keel eval run ${version.workflow_id} --version ${version.number}`;
  if (!evals) return [false, `v${version.number} has no evals section, so it cannot be evaluated: add one and deploy`];
  const runs = await listEvalRuns(db, version.workflow_id, { versionId: version.id, limit: 50 });
  const latest = runs.find((r) => r.status === 'finished' && r.dataset === evals.dataset && r.summary);
  if (!latest?.summary) return [false, `no finished eval run of v${version.number} on ${evals.dataset}: ${run}`];
  const s = latest.summary;
  const figure = `${latest.id} on ${latest.dataset} v${latest.dataset_version}: ${pct(s.passRate)} (95 % interval ${pct(s.interval.low)}-${pct(s.interval.high)}) for ${pct(latest.threshold)}`;
  return s.meetsThreshold ? [true, figure] : [false, `${figure}: the interval's lower bound is below the threshold; improve the version or the dataset and ${run}`];
}

/** Decided review tasks of live sandbox runs of this version (a trial run opens none). */
export async function sandboxSample(db: Queryable, versionId: string): Promise<SandboxSample> {
  const r = await db.query<{ decided: number; overridden: number }>(
    `SELECT count(*)::int AS decided, count(*) FILTER (WHERE status IN ('edited', 'rejected'))::int AS overridden
       FROM reviews WHERE version_id = $1 AND stage = 'sandbox' AND run_id IS NOT NULL AND status IN ('approved', 'edited', 'rejected')`,
    [versionId],
  );
  const { decided, overridden } = r.rows[0]!;
  return { decided, overridden, errorRate: decided === 0 ? 0 : overridden / decided };
}

async function drillPassed(db: Queryable, version: VersionRow): Promise<[boolean, string]> {
  const r = await db.query<{ id: string; status: string; finished_at: Date | null; error: string | null }>(
    `SELECT id, status, finished_at, error FROM rollback_drills WHERE version_id = $1 ORDER BY started_at DESC LIMIT 1`, [version.id],
  );
  const passed = await db.query<{ id: string; finished_at: Date }>(
    `SELECT id, finished_at FROM rollback_drills WHERE version_id = $1 AND status = 'passed' ORDER BY finished_at DESC LIMIT 1`, [version.id],
  );
  const drill = `keel drill ${version.workflow_id} (with v${version.number} on sandbox)`;
  if (passed.rows[0]) return [true, `${passed.rows[0].id} passed at ${new Date(passed.rows[0].finished_at).toISOString()}`];
  const last = r.rows[0];
  return [false, last ? `the last drill (${last.id}) ${last.status}${last.error ? `: ${last.error}` : ''}; run it again: ${drill}` : `no drill yet: ${drill}`];
}

async function monitorsLive(db: Queryable, version: VersionRow): Promise<[boolean, string]> {
  const fileRules = (version.definition.runbook?.monitors ?? []).filter((m) => m.stage === 'production');
  const apiRules = (await listMonitorRules(db, [version.workflow_id])).filter((m) => m.source === 'api' && m.rule.stage === 'production').map((m) => m.rule);
  const rules = [...fileRules, ...apiRules];
  const stops = rules.filter((m) => m.stop);
  if (rules.length === 0) return [false, 'no monitor on production: add runbook.monitors to the file (or POST /api/workflows/{id}/monitors)'];
  if (stops.length === 0) return [false, `${rules.length} monitor(s), none a stop condition: mark the one that should pause production with stop: true`];
  return [true, `${rules.length} monitor(s); stop conditions: ${stops.map((m) => m.name).join(', ')}`];
}

function runbookComplete(version: VersionRow, now: Date): [boolean, string] {
  const runbook = version.definition.runbook;
  const missing: string[] = [];
  if (!runbook?.rollback) missing.push('runbook.rollback');
  if (!(runbook?.stop_conditions?.length) && !runbook?.monitors.some((m) => m.stop)) missing.push('runbook.stop_conditions (or a monitor with stop: true)');
  if (!(runbook?.contacts?.length)) missing.push('runbook.contacts');
  if (!runbook?.next_review) missing.push('runbook.next_review');
  else if (runbook.next_review < now.toISOString().slice(0, 10)) missing.push(`a next_review date in the future (${runbook.next_review} has passed)`);
  return missing.length === 0 ? [true, `next review ${runbook!.next_review}`] : [false, `missing in v${version.number}: ${missing.join(', ')}`];
}

function ownerMap(version: VersionRow): [boolean, string] {
  const owners = version.definition.owners ?? {};
  const roles = ['quality', 'access', 'approvals', 'incidents', 'scope'] as const;
  const missing = roles.filter((r) => !owners[r]);
  return missing.length === 0
    ? [true, roles.map((r) => `${r}: ${owners[r]}`).join('; ')]
    : [false, `owners.${missing.join(', owners.')} not named in v${version.number}`];
}

async function changeApproved(db: Queryable, workflowId: string, version: VersionRow): Promise<[boolean, string]> {
  const status = await changeStatus(db, workflowId, version.id);
  if (!status.needed) return [true, status.production ? `no governed change against production v${status.production.number}` : 'first version in production: nothing to change'];
  const areas = status.areas.join(', ');
  const request = status.request;
  if (request?.status === 'approved') return [true, `change request ${request.id} (${areas}) approved by ${request.decided_by}`];
  return [false, request
    ? `change request ${request.id} (${areas}) is ${request.status}; the owner or a named change approver decides it: keel changes approve ${request.id}`
    : `v${version.number} changes ${areas} of production v${status.production!.number}: keel changes request ${workflowId} --version ${version.number} --reason TEXT`];
}
