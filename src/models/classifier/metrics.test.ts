import { describe, expect, it } from 'vitest';
import { KeelError } from '../../errors.js';
import { expectedCalibrationError, scorePredictions } from './metrics.js';

describe('expectedCalibrationError', () => {
  it('is 0 when each bin is right as often as it is confident, and the weighted gap otherwise', () => {
    // Bin (0.733, 0.8]: confidence 0.75 four times, right three times: calibrated.
    expect(expectedCalibrationError([0.75, 0.75, 0.75, 0.75], [true, true, true, false])).toBeCloseTo(0, 12);
    // Two bins of two: |1 - 0.95| and |0 - 0.5|, each weighted 1/2.
    expect(expectedCalibrationError([0.95, 0.95, 0.5, 0.5], [true, true, false, false])).toBeCloseTo((0.05 + 0.5) / 2, 12);
    // A confidence of exactly 1 is in the last bin, 0 in the first.
    expect(expectedCalibrationError([1, 0], [true, false])).toBeCloseTo(0, 12);
  });

  it('does not let an over-confident bin and an under-confident one cancel out', () => {
    expect(expectedCalibrationError([0.9, 0.9, 0.3, 0.3], [false, true, true, true])).toBeCloseTo((0.4 * 2 + 0.7 * 2) / 4, 12);
  });
});

describe('scorePredictions', () => {
  it('computes accuracy, per-label precision, recall and F1, and macro-F1 over every true or predicted label', () => {
    const truth = ['a', 'a', 'a', 'b', 'b', 'c'];
    const predicted = ['a', 'a', 'b', 'b', 'd', 'c'];
    const e = scorePredictions(truth, predicted, [0.9, 0.9, 0.6, 0.8, 0.5, 0.7]);
    expect(e.n).toBe(6);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.perLabel.map((l) => l.label)).toEqual(['a', 'b', 'c', 'd']);
    const a = e.perLabel[0]!;
    expect([a.precision, a.recall, a.support]).toEqual([1, 2 / 3, 3]);
    expect(a.f1).toBeCloseTo(0.8, 12);
    const b = e.perLabel[1]!;
    expect([b.precision, b.recall, b.f1]).toEqual([0.5, 0.5, 0.5]);
    expect(e.perLabel[3]).toEqual({ label: 'd', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(e.macroF1).toBeCloseTo((0.8 + 0.5 + 1 + 0) / 4, 12);
    expect(e.meanConfidence).toBeCloseTo(4.4 / 6, 12);
  });

  it('refuses to score nothing', () => {
    expect(() => scorePredictions([], [], [])).toThrow(KeelError);
  });
});
