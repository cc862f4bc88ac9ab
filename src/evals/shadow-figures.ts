// A shadow's figures from its compared pairs: how often the candidate agreed with the live version
// and with the people who decided the live runs' reviews, and cost and latency side by side.

/** Total, median and 95th percentile of one side (null percentiles when there is nothing to measure). */
export interface SideFigures {
  total: number;
  p50: number | null;
  p95: number | null;
}

export interface ShadowSummary {
  /** Pairs whose runs both ended and were compared. */
  compared: number;
  /** Share of compared pairs where the candidate's value equals the live version's (0 to 1; null with none). */
  agreementLive: number | null;
  agreedLive: number;
  people: {
    /** Pairs whose live run had a review a person approved or edited on the compared step. */
    decided: number;
    agreed: number;
    /** agreed / decided (null with none). */
    agreement: number | null;
    /** Pairs a person rejected: neither answer is known to be right, so they count apart. */
    rejected: number;
  };
  /** Runs that failed (a person's reject is not a failure; the candidate's include events its input contract refused). */
  liveFailed: number;
  shadowFailed: number;
  costUsd: { live: SideFigures; shadow: SideFigures };
  latencyMs: { live: SideFigures; shadow: SideFigures };
}

export interface ComparedPair {
  agreement_live: boolean | null;
  agreement_people: boolean | null;
  people_decision: string | null;
  live_status: string | null;
  shadow_status: string | null;
  live_cost_usd: number | null;
  shadow_cost_usd: number | null;
  live_latency_ms: number | null;
  shadow_latency_ms: number | null;
}

/** How a run ends without failing: done, or stopped by a person's reject. */
const settled = new Set(['succeeded', 'rejected']);

/** The nearest-rank percentile of sorted values. */
function at(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function side(values: readonly (number | null)[]): SideFigures {
  const known = values.flatMap((v) => (v === null ? [] : [Number(v)])).sort((a, b) => a - b);
  return { total: known.reduce((sum, v) => sum + v, 0), p50: at(known, 0.5), p95: at(known, 0.95) };
}

export function shadowFigures(pairs: readonly ComparedPair[]): ShadowSummary {
  const agreedLive = pairs.filter((p) => p.agreement_live === true).length;
  const decided = pairs.filter((p) => p.agreement_people !== null);
  const agreed = decided.filter((p) => p.agreement_people === true).length;
  return {
    compared: pairs.length,
    agreementLive: pairs.length === 0 ? null : agreedLive / pairs.length,
    agreedLive,
    people: {
      decided: decided.length, agreed, agreement: decided.length === 0 ? null : agreed / decided.length,
      rejected: pairs.filter((p) => p.people_decision === 'rejected').length,
    },
    liveFailed: pairs.filter((p) => !settled.has(p.live_status ?? '')).length,
    shadowFailed: pairs.filter((p) => !settled.has(p.shadow_status ?? '')).length,
    costUsd: { live: side(pairs.map((p) => p.live_cost_usd)), shadow: side(pairs.map((p) => p.shadow_cost_usd)) },
    latencyMs: { live: side(pairs.map((p) => p.live_latency_ms)), shadow: side(pairs.map((p) => p.shadow_latency_ms)) },
  };
}
