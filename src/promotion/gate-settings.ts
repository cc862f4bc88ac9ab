// What each gate asks for by default, from the seeds' table of gate conditions, and how a workflow
// file's `gates` section overrides it. Into testing: a labelled dataset exists. Into sandbox: the
// eval passes and the failure modes are written down (engineering lead + domain expert sign).
// Into production: the ops team reviewed a sample and accepted its error rate in writing, the
// rollback was drilled, monitoring is live, the runbook and owner map are complete (ops manager +
// business owner sign).
import type { Stage } from '../registry/index.js';
import type { SignerRole, WorkflowSpec } from '../spec/index.js';

export type GatedStage = Exclude<Stage, 'design'>;
export const gatedStages: readonly GatedStage[] = ['testing', 'sandbox', 'production'];

/** The stage a version comes from when it is promoted into `stage`. */
export const previousStage: Readonly<Record<GatedStage, Stage>> = { testing: 'design', sandbox: 'testing', production: 'sandbox' };

export interface GateSettings {
  stage: GatedStage;
  signers: readonly SignerRole[];
  /** testing: cases the dataset needs. */
  minCases: number;
  /** sandbox: failure modes must be listed. */
  requireFailureModes: boolean;
  /** production: decided reviews of sandbox outputs of the version. */
  minReviewed: number;
  requireDrill: boolean;
  requireMonitors: boolean;
}

const defaults: Readonly<Record<GatedStage, GateSettings>> = {
  testing: { stage: 'testing', signers: [], minCases: 20, requireFailureModes: false, minReviewed: 0, requireDrill: false, requireMonitors: false },
  sandbox: { stage: 'sandbox', signers: ['approver'], minCases: 0, requireFailureModes: true, minReviewed: 0, requireDrill: false, requireMonitors: false },
  production: { stage: 'production', signers: ['approver', 'owner'], minCases: 0, requireFailureModes: false, minReviewed: 30, requireDrill: true, requireMonitors: true },
};

/** The gate into `stage` for this version: the defaults with the file's overrides. */
export function gateSettings(spec: WorkflowSpec, stage: GatedStage): GateSettings {
  const base = defaults[stage];
  const gates = spec.gates;
  switch (stage) {
    case 'testing':
      return { ...base, signers: gates?.testing?.signers ?? base.signers, minCases: gates?.testing?.min_cases ?? base.minCases };
    case 'sandbox':
      return { ...base, signers: gates?.sandbox?.signers ?? base.signers, requireFailureModes: gates?.sandbox?.require_failure_modes ?? base.requireFailureModes };
    case 'production':
      return {
        ...base, signers: gates?.production?.signers ?? base.signers, minReviewed: gates?.production?.min_reviewed ?? base.minReviewed,
        requireDrill: gates?.production?.require_drill ?? base.requireDrill, requireMonitors: gates?.production?.require_monitors ?? base.requireMonitors,
      };
  }
}

export function isGated(stage: Stage): stage is GatedStage {
  return stage !== 'design';
}
