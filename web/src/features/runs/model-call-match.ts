// Model calls are stored per step (step_id) with their own attempt counter (the tries inside one
// step attempt: fallbacks, repairs), not with the step attempt's id. A call belongs to the attempt of
// its step whose time span holds it. The spans come from two clocks (the worker's start, the
// database's finish and call time), so a little slack is allowed; a call no attempt holds (its step
// is still running, and pure steps record their attempt only when it ends) is returned apart,
// never dropped.
import type { Attempt, ModelCall } from '../../lib/api-types';

const slackMs = 5000;

export interface MatchedCalls {
  byAttempt: Map<number, ModelCall[]>;
  unmatched: ModelCall[];
}

export function matchModelCalls(attempts: Attempt[], calls: ModelCall[], now = Date.now()): MatchedCalls {
  const byAttempt = new Map<number, ModelCall[]>();
  const unmatched: ModelCall[] = [];
  for (const call of calls) {
    const at = new Date(call.created_at).getTime();
    let best: { id: number; distance: number } | undefined;
    for (const a of attempts) {
      if (a.step_id !== call.step_id) continue;
      const from = new Date(a.started_at).getTime();
      const to = a.finished_at ? new Date(a.finished_at).getTime() : now;
      const distance = at < from ? from - at : at > to ? at - to : 0;
      if (distance <= slackMs && (!best || distance < best.distance)) best = { id: a.id, distance };
    }
    if (!best) unmatched.push(call);
    else byAttempt.set(best.id, [...(byAttempt.get(best.id) ?? []), call]);
  }
  return { byAttempt, unmatched };
}
