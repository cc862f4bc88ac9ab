// A gate as a report: for one version and the stage it would enter, every check with what was
// found or what is missing, and every sign-off the gate needs with who gave it. The promotion
// refuses exactly what this report lists as unmet, and the dashboard and CLI show the same report.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersion, getVersionById, getWorkflow, type Stage, type VersionRow } from '../registry/index.js';
import { gateChecks, sandboxSample, type GateItem } from './gate-checks.js';
import { gateSettings, previousStage, type GatedStage } from './gate-settings.js';
import { liveSignoffs, type SignoffRow } from './signoffs.js';

export interface GateReport {
  workflowId: string;
  stage: GatedStage;
  from: Stage;
  version: { id: string; number: number; createdBy: string };
  met: boolean;
  items: GateItem[];
  signers: string[];
  signoffs: SignoffRow[];
}

export interface GateQuery {
  workflowId: string;
  stage: GatedStage;
  /** A version number (3, v3) or id; the version deployed at the stage before when absent. */
  version?: string;
}

/** The version a promotion into `stage` moves: the one asked for, else what the stage before runs. */
export async function candidateVersion(db: Queryable, query: GateQuery): Promise<VersionRow> {
  if (query.version !== undefined) return getVersion(db, query.workflowId, query.version);
  const workflow = await getWorkflow(db, query.workflowId);
  const from = previousStage[query.stage];
  const deployed = workflow.deployments.find((d) => d.stage === from);
  if (!deployed) {
    throw new KeelError('not_deployed', `Nothing of ${query.workflowId} is deployed at ${from}, the stage before ${query.stage}.`, {
      hint: `Promote a version into ${from} first, or name one with --version.`,
    });
  }
  return getVersionById(db, deployed.version_id);
}

export async function evaluateGate(db: Queryable, query: GateQuery, now = new Date()): Promise<GateReport> {
  const version = await candidateVersion(db, query);
  const settings = gateSettings(version.definition, query.stage);
  const items = await gateChecks(db, version, settings, now);
  const signoffs = await liveSignoffs(db, version, query.stage);
  for (const role of settings.signers) {
    const s = signoffs.find((x) => x.role === role);
    items.push({
      id: `signoff:${role}`, label: `Signed by the ${role}`, met: s !== undefined, kind: 'signoff',
      detail: s ? `${s.signed_by} at ${new Date(s.signed_at).toISOString()}: "${s.statement}"`
        : `waiting for someone with the ${role} role other than the author (${version.created_by}): keel gates sign ${query.workflowId} --to ${query.stage} --role ${role} --statement TEXT`,
    });
  }
  if (query.stage === 'production') items.push(await errorRateAccepted(db, version, signoffs));
  return {
    workflowId: query.workflowId, stage: query.stage, from: previousStage[query.stage],
    version: { id: version.id, number: version.number, createdBy: version.created_by },
    met: items.every((i) => i.met), items, signers: [...settings.signers], signoffs,
  };
}

/**
 * The seeds' "error rate accepted in writing": a sign-off into production made when the sandbox
 * sample's error rate was at least what it is now. A rate that rose since needs a new sign-off.
 */
async function errorRateAccepted(db: Queryable, version: VersionRow, signoffs: readonly SignoffRow[]): Promise<GateItem> {
  const now = await sandboxSample(db, version.id);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const accepting = signoffs.find((s) => s.observed !== null && s.observed.errorRate + 1e-9 >= now.errorRate && s.observed.decided > 0);
  return {
    id: 'error_rate_accepted', label: 'Observed error rate accepted in writing', met: accepting !== undefined, kind: 'signoff',
    detail: accepting
      ? `${accepting.signed_by} accepted ${pct(accepting.observed!.errorRate)} over ${accepting.observed!.decided} decided outputs: "${accepting.statement}"`
      : now.decided === 0
        ? 'no decided sandbox outputs yet to accept'
        : `the sample's error rate is ${pct(now.errorRate)} over ${now.decided} outputs; a production sign-off given now accepts it in writing`,
  };
}
