// The promotion gate as readiness items of the handoff pack: a team taking over a workflow sees the
// gate its version passed into production (judged again now: a sign-off withdrawn, a review date
// passed or a sample whose error rate rose shows up), or, before production, what the next gate
// still needs.
import type { Queryable } from '../db/index.js';
import type { Stage } from '../registry/index.js';
import { gatedStages, type GatedStage } from './gate-settings.js';
import { evaluateGate } from './gates.js';

export interface GateReadinessItem {
  id: string;
  label: string;
  ok: boolean;
  missing?: string;
}

export async function gateReadiness(db: Queryable, pack: { workflowId: string; stage: Stage; versionId: string }, now = new Date()): Promise<GateReadinessItem[]> {
  // From design, indexOf is -1: the next gate is the first, into testing.
  const next: GatedStage = pack.stage === 'production' ? 'production' : gatedStages[gatedStages.indexOf(pack.stage as GatedStage) + 1]!;
  const report = await evaluateGate(db, { workflowId: pack.workflowId, stage: next, version: pack.versionId }, now);
  return report.items.map((item) => ({
    id: `gate:${next}:${item.id}`, label: `Gate into ${next}: ${item.label}`, ok: item.met, ...(item.met ? {} : { missing: item.detail }),
  }));
}
