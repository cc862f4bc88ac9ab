// The approval boundary's confidence threshold, when a workflow writes it the plain way: a rule
// `when: confidence >= 0.94` ending in `auto`. Calibration reads it and `keel boundary suggest
// --apply` rewrites it; any other rule is left to the person who wrote it.

const thresholdRule = /^\s*confidence\s*>=\s*(\d+(?:\.\d+)?)\s*$/;

/** The first `confidence >= X` rule that lets outputs through automatically, and its X. */
export function autoThreshold(rules: unknown): { index: number; threshold: number } | undefined {
  if (!Array.isArray(rules)) return undefined;
  for (const [index, rule] of rules.entries()) {
    const r = rule as { when?: unknown; then?: unknown } | null;
    if (r?.then !== 'auto' || typeof r.when !== 'string') continue;
    const m = thresholdRule.exec(r.when);
    if (m) return { index, threshold: Number(m[1]) };
  }
  return undefined;
}

export function thresholdCondition(threshold: number): string {
  return `confidence >= ${threshold}`;
}
