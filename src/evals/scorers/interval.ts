// The pass rate of an eval run is a sample: 45 of 50 is not "0.9" but "somewhere around 0.79 to
// 0.96". The gate compares the lower bound of the Wilson score interval with the threshold, so a
// small dataset cannot promote a version by luck. Wilson rather than the normal approximation
// because it stays inside [0, 1] and behaves at 0 and n passes.
import { KeelError } from '../../errors.js';

export interface Interval {
  low: number;
  high: number;
}

/** The Wilson score interval of `passed` successes in `n` trials at the given two-sided confidence. */
export function passRateInterval(passed: number, n: number, confidence = 0.95): Interval {
  if (!Number.isInteger(n) || !Number.isInteger(passed) || n < 0 || passed < 0 || passed > n) {
    throw new KeelError('invalid_input', `passRateInterval needs whole numbers with 0 <= passed <= n (got ${passed} of ${n})`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new KeelError('invalid_input', `confidence must be between 0 and 1 (got ${confidence})`);
  // No cases: nothing is known, the whole range is possible.
  if (n === 0) return { low: 0, high: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = passed / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // Clamp the rounding at the ends (p = 0 or 1 gives exactly 0 or 1 in exact arithmetic).
  return { low: Math.max(0, passed === 0 ? 0 : centre - margin), high: Math.min(1, passed === n ? 1 : centre + margin) };
}

/**
 * The standard normal quantile (inverse CDF), Acklam's rational approximation: relative error below
 * 1.2e-9, plenty for a confidence bound shown with three decimals.
 */
export function normalQuantile(q: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (t: number) => (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) / ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1);
  if (q < low) return tail(Math.sqrt(-2 * Math.log(q)));
  if (q > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - q)));
  const r = q - 0.5;
  const s = r * r;
  return ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
    (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1);
}
