import { describe, expect, it } from 'vitest';
import { fitTemperature, negativeLogLikelihood, softmax } from './calibration.js';
import { createRandom } from './split.js';

const seed = 424_242;

/** Scores for `n` examples of `classes` classes whose true class is drawn from softmax(scores / trueTemperature). */
function sample(n: number, classes: number, trueTemperature: number, random: ReturnType<typeof createRandom>) {
  const scores = new Float64Array(n * classes);
  const targets = new Int32Array(n);
  const p = new Float64Array(classes);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < classes; k++) scores[r * classes + k] = random.next() * 2 - 1;
    scores[r * classes + random.int(classes)]! += 1.5;
    softmax(scores.subarray(r * classes, (r + 1) * classes), trueTemperature, p);
    let u = random.next();
    let k = 0;
    while (k < classes - 1 && u >= p[k]!) u -= p[k++]!;
    targets[r] = k;
  }
  return { scores, targets };
}

describe('softmax', () => {
  it('gives probabilities that sum to 1 and keep the order of the scores, even for huge scores', () => {
    const out = new Float64Array(4);
    for (const scores of [[1, 2, 3, 4], [1000, 999, -1000, 0], [0, 0, 0, 0]]) {
      softmax(scores, 0.1, out);
      expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      expect(out.every(Number.isFinite)).toBe(true);
    }
    softmax([1, 3, 2], 0.5, out);
    expect(out[1]).toBeGreaterThan(out[2]!);
    expect(out[2]).toBeGreaterThan(out[0]!);
  });
});

describe('fitTemperature', () => {
  it(`finds the temperature the labels were drawn with, and it lowers NLL on a held-out part (seed ${seed})`, () => {
    console.log(`fitTemperature seed ${seed}`);
    const random = createRandom(seed);
    const classes = 10;
    const trueTemperature = 0.25;
    const fitPart = sample(3000, classes, trueTemperature, random);
    const heldOut = sample(3000, classes, trueTemperature, random);
    const fit = fitTemperature(fitPart.scores, fitPart.targets, classes);
    expect(fit.temperature).toBeGreaterThan(0.2);
    expect(fit.temperature).toBeLessThan(0.3);
    expect(fit.nll).toBeLessThan(fit.nllAtOne);
    const calibrated = negativeLogLikelihood(heldOut.scores, heldOut.targets, classes, fit.temperature);
    const raw = negativeLogLikelihood(heldOut.scores, heldOut.targets, classes, 1);
    expect(calibrated).toBeLessThan(raw - 0.1);
    // It is the minimum: a step either side does worse on the part it was fitted on.
    expect(negativeLogLikelihood(fitPart.scores, fitPart.targets, classes, fit.temperature * 1.1)).toBeGreaterThan(fit.nll);
    expect(negativeLogLikelihood(fitPart.scores, fitPart.targets, classes, fit.temperature / 1.1)).toBeGreaterThan(fit.nll);
  });

  it('answers temperature 1 when there is nothing to fit on', () => {
    expect(fitTemperature(new Float64Array(0), new Int32Array(0), 3).temperature).toBe(1);
  });
});
