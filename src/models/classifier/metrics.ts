// How good a classifier is on labelled rows it did not learn from: accuracy, macro-F1 (every label
// counts the same, so a rare label predicted badly shows), per-label precision and recall, and the
// expected calibration error (whether "80 % sure" is right about 80 % of the time).
import { KeelError } from '../../errors.js';
import type { ClassifierModel } from './classifier.js';
import type { LabelledRow } from './dataset.js';

export interface LabelScore {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label this is. */
  support: number;
}

export interface ClassifierEvaluation {
  n: number;
  accuracy: number;
  /** Mean F1 over every label that is true or predicted at least once. */
  macroF1: number;
  /** Expected calibration error over 15 equal-width bins of the top label's confidence. */
  ece: number;
  /** Mean confidence of the top label: above `accuracy` means over-confident on the whole. */
  meanConfidence: number;
  perLabel: LabelScore[];
}

export const calibrationBins = 15;

/**
 * ECE: the gap between confidence and accuracy in each bin of confidence, weighted by the bin's
 * share of predictions. Bins are (i/B, (i+1)/B], with a confidence of exactly 0 in the first.
 */
export function expectedCalibrationError(confidences: readonly number[], correct: readonly boolean[], bins = calibrationBins): number {
  const n = confidences.length;
  if (n === 0) return Number.NaN;
  const count = new Float64Array(bins);
  const sumConfidence = new Float64Array(bins);
  const hits = new Float64Array(bins);
  confidences.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]! += 1;
    sumConfidence[b]! += c;
    if (correct[i]) hits[b]! += 1;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(hits[b]! - sumConfidence[b]!) / n;
  return ece;
}

/** Scores predictions against the truth; the pure part of evaluateClassifier. */
export function scorePredictions(truth: readonly string[], predicted: readonly string[], confidences: readonly number[]): ClassifierEvaluation {
  const n = truth.length;
  if (n === 0) throw new KeelError('invalid_input', 'there are no rows to evaluate the classifier on');
  const tally = new Map<string, { tp: number; predicted: number; support: number }>();
  const of = (label: string) => {
    let t = tally.get(label);
    if (!t) tally.set(label, (t = { tp: 0, predicted: 0, support: 0 }));
    return t;
  };
  const correct = truth.map((label, i) => {
    of(label).support++;
    of(predicted[i]!).predicted++;
    if (predicted[i] === label) of(label).tp++;
    return predicted[i] === label;
  });
  const perLabel = [...tally].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([label, t]): LabelScore => {
    const precision = t.predicted === 0 ? 0 : t.tp / t.predicted;
    const recall = t.support === 0 ? 0 : t.tp / t.support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support: t.support };
  });
  return {
    n,
    accuracy: correct.filter(Boolean).length / n,
    macroF1: perLabel.reduce((s, l) => s + l.f1, 0) / perLabel.length,
    ece: expectedCalibrationError(confidences, correct),
    meanConfidence: confidences.reduce((s, c) => s + c, 0) / n,
    perLabel,
  };
}

/** Predicts every row and scores the predictions against the rows' labels. */
export function evaluateClassifier(model: ClassifierModel, rows: readonly LabelledRow[]): ClassifierEvaluation {
  const predicted: string[] = [];
  const confidences: number[] = [];
  for (const row of rows) {
    const p = model.predict(row.text, 0);
    predicted.push(p.label);
    confidences.push(p.confidence);
  }
  return scorePredictions(rows.map((r) => r.label), predicted, confidences);
}
