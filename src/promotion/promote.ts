// Promotion: a version moves into the next stage only through its gate. The gate is judged again
// inside the transaction that moves the deployment (under the workflow's row lock), so a sign-off
// withdrawn or an eval superseded at the same moment cannot slip a version through. Refused, the
// error lists exactly the unmet items, as the CLI and the dashboard show them.
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getWorkflow, moveDeploymentIn, type DeploymentRow } from '../registry/index.js';
import { evaluateGate, type GateQuery, type GateReport } from './gates.js';

export interface PromoteResult {
  deployment: DeploymentRow;
  gate: GateReport;
  /** False when the stage already ran this version. */
  moved: boolean;
}

export async function promote(db: Db, query: GateQuery & { actor: string }, now = new Date()): Promise<PromoteResult> {
  const { gate, moved } = await db.transaction(async (tx) => {
    await tx.query(`SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE`, [query.workflowId]);
    const report = await evaluateGate(tx, query, now);
    if (!report.met) throw gateNotMet(report);
    return { gate: report, moved: await moveDeploymentIn(tx, query.workflowId, query.stage, report.version.id, query.actor) };
  });
  const workflow = await getWorkflow(db, query.workflowId);
  return { deployment: workflow.deployments.find((d) => d.stage === query.stage)!, gate, moved };
}

/** The refusal of a promotion: one problem per unmet item, each saying what is missing. */
export function gateNotMet(report: GateReport): KeelError {
  const unmet = report.items.filter((i) => !i.met);
  return new KeelError('gate_not_met', `v${report.version.number} of ${report.workflowId} cannot enter ${report.stage}: ${unmet.length} of ${report.items.length} gate items are not met.`, {
    problems: unmet.map((i) => ({ path: i.id, message: `${i.label}: ${i.detail}` })),
    hint: `See the whole gate with: keel gates ${report.workflowId} --to ${report.stage}`,
  });
}
