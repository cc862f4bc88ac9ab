// What pausing a stage does, as one value every reader uses: the workflow's `on_pause`, or the
// defaults when the file does not say (and for versions stored before the setting existed, whose
// stored definitions have no `on_pause` at all).
import type { OnPauseSpec, WorkflowSpec } from './schema.js';

export const defaultPausePolicy: Readonly<OnPauseSpec> = Object.freeze({ triggers: 'refuse', in_flight: 'finish' });

/** The pause policy of a workflow definition: its `on_pause` with the defaults filled in. */
export function pausePolicy(spec: Pick<WorkflowSpec, 'on_pause'>): OnPauseSpec {
  return { ...defaultPausePolicy, ...spec.on_pause };
}
