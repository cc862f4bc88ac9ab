// Scorers judge one case of an eval run each. They are named kinds from the workflow file's `evals`
// section (src/spec/evals-schema.ts), never code: nothing a user wrote is executed. A case passes
// when every scorer passes; the run's figures come from aggregate() and passRateInterval().
import { KeelError } from '../../errors.js';
import { scorerKind, type ScorerSpec } from '../../spec/index.js';
import { scoreContains } from './contains.js';
import { scoreExact } from './exact.js';
import { scoreField } from './field.js';
import { scoreJudge } from './judge.js';
import { scoreLabel } from './label.js';
import { scoreNumeric } from './numeric.js';
import { scoreRegex } from './regex.js';
import { scoreSchema } from './schema.js';
import type { ScoreResult, ScorerCase, ScorerDeps, Verdict } from './types.js';

export type { LabelPair, ScoreResult, ScorerCase, ScorerDeps } from './types.js';
export { aggregate, type ScorerSummary, type LabelMetrics, type LabelScores, type ConfusionCell } from './aggregate.js';
export { passRateInterval, type Interval } from './interval.js';
export { judgeOutputSchema, judgePrompt } from './judge.js';

/**
 * Scores one case with every scorer, in the scorers' order. Throws only when a scorer cannot work at
 * all (`misconfigured`: a judge without a model, a schema scorer without a schema), so the eval run
 * stops with that error instead of failing every case for a reason that has nothing to do with them.
 */
export async function scoreCase(scorers: readonly ScorerSpec[], c: ScorerCase, deps: ScorerDeps = {}): Promise<ScoreResult[]> {
  return Promise.all(scorers.map(async (scorer) => {
    const kind = scorerKind(scorer);
    const verdict = await scoreOne(scorer, c, deps);
    return { scorer: scorer.name, kind, ...verdict };
  }));
}

/** A case passes when every scorer passed it. */
export function casePassed(results: readonly ScoreResult[]): boolean {
  return results.every((r) => r.passed);
}

function scoreOne(s: ScorerSpec, c: ScorerCase, deps: ScorerDeps): Verdict | Promise<Verdict> {
  if (s.exact) return scoreExact(c);
  if (s.field) return scoreField(s.field, c);
  if (s.label) return scoreLabel(s.label, c);
  if (s.numeric) return scoreNumeric(s.numeric, c);
  if (s.regex) return scoreRegex(s.regex, c);
  if (s.contains) return scoreContains(s.contains, c);
  if (s.schema) return scoreSchema(s.name, s.schema, c, deps);
  if (s.judge) return scoreJudge(s.name, s.judge, c, deps);
  // scorerKind() above already refused a scorer with no kind.
  throw new KeelError('internal', `Scorer "${s.name}" has no kind.`);
}
