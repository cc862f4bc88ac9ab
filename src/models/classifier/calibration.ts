// Turns SVM decision scores into probabilities people can act on ("90 % sure" should be right nine
// times in ten). A softmax with one temperature fitted on scores of examples the model did not learn
// from: one parameter cannot overfit a few hundred examples, and it never changes which label wins.

/** Softmax of scores / temperature into `out` (same length); stable for any score range. */
export function softmax(scores: ArrayLike<number>, temperature: number, out: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < scores.length; k++) if (scores[k]! > max) max = scores[k]!;
  let sum = 0;
  for (let k = 0; k < scores.length; k++) {
    const e = Math.exp((scores[k]! - max) / temperature);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < scores.length; k++) out[k] = out[k]! / sum;
  return out;
}

/**
 * Mean negative log-likelihood of the true classes under softmax(scores / temperature).
 * `scores` holds one row of `classes` scores per example.
 */
export function negativeLogLikelihood(scores: Float32Array | Float64Array, targets: Int32Array, classes: number, temperature: number): number {
  const n = targets.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const base = r * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) if (scores[base + k]! > max) max = scores[base + k]!;
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp((scores[base + k]! - max) / temperature);
    total += Math.log(sum) - (scores[base + targets[r]!]! - max) / temperature;
  }
  return total / n;
}

export interface TemperatureFit {
  temperature: number;
  /** NLL at the fitted temperature and at temperature 1 (the uncalibrated softmax), for reports. */
  nll: number;
  nllAtOne: number;
}

/** Bounds of the search: SVM scores live around [-2, 2], so useful temperatures do too. */
const lowest = 1e-3;
const highest = 1e2;

/**
 * The temperature minimising held-out NLL. NLL is convex in 1/temperature, hence unimodal in
 * log(temperature), so a golden-section search over the log finds the minimum to ~1e-4 relative.
 */
export function fitTemperature(scores: Float32Array | Float64Array, targets: Int32Array, classes: number): TemperatureFit {
  if (targets.length === 0) return { temperature: 1, nll: Number.NaN, nllAtOne: Number.NaN };
  const f = (logT: number) => negativeLogLikelihood(scores, targets, classes, Math.exp(logT));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(lowest);
  let b = Math.log(highest);
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-4) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return { temperature, nll: f(Math.log(temperature)), nllAtOne: f(0) };
}
