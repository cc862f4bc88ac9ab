// The gate as the registry's stage check: every way a person moves a stage (deploying a file to
// it, pointing it at a version, loading files at start) passes through here. A stage may go back
// to a version it ran before (a rollback, or forward again after one) without its gate: that
// version passed it then, and an emergency must not wait for sign-offs.
import type { StageCheck } from '../registry/index.js';
import { isGated } from './gate-settings.js';
import { evaluateGate } from './gates.js';
import { gateNotMet } from './promote.js';

export function createStageCheck(options: { enforce: boolean; now?: () => Date }): StageCheck | undefined {
  if (!options.enforce) return undefined;
  return async (tx, workflowId, stage, versionId) => {
    if (!isGated(stage)) return;
    const ran = await tx.query(
      `SELECT 1 FROM deployment_history WHERE workflow_id = $1 AND stage = $2 AND version_id = $3 LIMIT 1`, [workflowId, stage, versionId],
    );
    if (ran.rows.length > 0) return;
    const report = await evaluateGate(tx, { workflowId, stage, version: versionId }, options.now?.() ?? new Date());
    if (!report.met) throw gateNotMet(report);
  };
}
