// The run-level figures of each scorer: pass rate and mean score for all, and for a label scorer the
// classification metrics people read a classifier by: accuracy, precision, recall and F1 per label,
// macro-F1 (every label weighs the same, so a rare intent that is always wrong shows), and the
// confusion counts. Zero divisions count as 0, as scikit-learn does by default.
import { scorerKind, type ScorerKind, type ScorerSpec } from '../../spec/index.js';
import type { LabelPair, ScoreResult } from './types.js';

export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  /** Cases whose expected label is this one. */
  support: number;
  /** Cases the output gave this label. */
  predicted: number;
}

/** How often an expected label came out as a predicted one; `predicted: null` means no label came out. */
export interface ConfusionCell {
  expected: string;
  predicted: string | null;
  count: number;
}

export interface LabelMetrics {
  /** Cases with an expected label: the ones these figures count. */
  cases: number;
  accuracy: number;
  /** Every label that was expected or predicted, sorted. */
  perLabel: Record<string, LabelScores>;
  macroF1: number;
  confusion: ConfusionCell[];
}

export interface ScorerSummary {
  scorer: string;
  kind: ScorerKind;
  cases: number;
  passed: number;
  passRate: number;
  meanScore: number;
  /** Judge calls, in US dollars; 0 for the other kinds. */
  costUsd: number;
  label?: LabelMetrics;
}

/** One summary per scorer, in the scorers' order, over every case's results (each from scoreCase). */
export function aggregate(scorers: readonly ScorerSpec[], results: readonly (readonly ScoreResult[])[]): ScorerSummary[] {
  return scorers.map((scorer) => {
    const kind = scorerKind(scorer);
    const mine = results.flatMap((r) => r.filter((x) => x.scorer === scorer.name));
    const passed = mine.filter((r) => r.passed).length;
    const summary: ScorerSummary = {
      scorer: scorer.name,
      kind,
      cases: mine.length,
      passed,
      passRate: ratio(passed, mine.length),
      meanScore: ratio(mine.reduce((sum, r) => sum + r.score, 0), mine.length),
      costUsd: mine.reduce((sum, r) => sum + (r.costUsd ?? 0), 0),
    };
    if (kind === 'label') summary.label = labelMetrics(mine.map((r) => r.label).filter((p): p is LabelPair => p !== undefined));
    return summary;
  });
}

/** Classification metrics over the pairs that have an expected label. */
export function labelMetrics(pairs: readonly LabelPair[]): LabelMetrics {
  const counted = pairs.filter((p): p is { expected: string; predicted: string | null } => p.expected !== null);
  const labels = [...new Set(counted.flatMap((p) => (p.predicted === null ? [p.expected] : [p.expected, p.predicted])))].sort();
  const cells = new Map<string, ConfusionCell>();
  for (const p of counted) {
    const key = JSON.stringify([p.expected, p.predicted]);
    const cell = cells.get(key) ?? { expected: p.expected, predicted: p.predicted, count: 0 };
    cell.count++;
    cells.set(key, cell);
  }
  // fromEntries defines own properties, so a label called "__proto__" is counted like any other.
  const perLabel: Record<string, LabelScores> = Object.fromEntries(labels.map((label) => {
    const truePositives = counted.filter((p) => p.expected === label && p.predicted === label).length;
    const support = counted.filter((p) => p.expected === label).length;
    const predicted = counted.filter((p) => p.predicted === label).length;
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    return [label, { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support, predicted }];
  }));
  const correct = counted.filter((p) => p.predicted === p.expected).length;
  return {
    cases: counted.length,
    accuracy: ratio(correct, counted.length),
    perLabel,
    macroF1: ratio(labels.reduce((sum, l) => sum + perLabel[l]!.f1, 0), labels.length),
    confusion: [...cells.values()].sort((a, b) => a.expected.localeCompare(b.expected) || (a.predicted ?? '').localeCompare(b.predicted ?? '')),
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
