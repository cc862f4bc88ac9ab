// Where to put the approval boundary: the lowest confidence threshold at which outputs sent straight
// through are right often enough, judged by a one-sided lower confidence bound on their precision
// rather than by the observed share, so that a threshold found on a few hundred labelled cases does
// not promise more than those cases can show. Pure computation: no I/O, no clock, no randomness.
import { KeelError, type FieldProblem } from '../errors.js';

/** One past output: the confidence it was produced with and whether a person found it right. */
export interface ScoredDecision { confidence: number; correct: boolean }

export type BoundMethod = 'clopper-pearson' | 'wilson';

export interface CurvePoint { threshold: number; accepted: number; precision: number; lowerBound: number; coverage: number }

export interface ThresholdSuggestion {
  /** Lowest confidence threshold meeting the target; null when none does. */
  threshold: number | null;
  targetPrecision: number;
  confidenceLevel: number;
  method: BoundMethod;
  /** Cases with confidence >= threshold (0 when there is no threshold). */
  accepted: number;
  /** Of those, how many were right. */
  correct: number;
  /** Observed precision above the threshold. */
  precision: number;
  /** One-sided lower bound on the precision at `confidenceLevel`. */
  precisionLowerBound: number;
  /** accepted / total: the share handled without a person. */
  coverage: number;
  total: number;
  /** At most `curveRows` thresholds from high to low, for showing the trade-off; includes the chosen one. */
  curve: CurvePoint[];
}

export interface SuggestOptions {
  /** Precision the auto-accepted outputs must reach, in (0, 1). */
  targetPrecision: number;
  /** Confidence of the one-sided bound, in (0, 1); 0.95 by default. */
  confidenceLevel?: number;
  /** 'clopper-pearson' (exact, conservative; the default) or 'wilson' (closed form, closer to nominal). */
  method?: BoundMethod;
  /** Fewest accepted cases a threshold must rest on; 30 by default. */
  minAccepted?: number;
}

const curveRows = 20;
const maxListedProblems = 20;

/**
 * The lowest threshold whose precision lower bound reaches `targetPrecision`. Candidates are the
 * distinct confidences observed; a threshold accepts every case at or above it, so cases that share
 * a confidence are accepted or reviewed together.
 *
 * The bound holds for one threshold chosen in advance. Scanning every candidate and keeping the
 * lowest that passes is a search, so the guarantee at the chosen threshold is weaker than the
 * nominal level; check it on cases not used to choose it.
 */
export function suggestThreshold(decisions: readonly ScoredDecision[], options: SuggestOptions): ThresholdSuggestion {
  const { targetPrecision, confidenceLevel = 0.95, method = 'clopper-pearson', minAccepted = 30 } = options;
  validate(decisions, targetPrecision, confidenceLevel, method, minAccepted);
  const total = decisions.length;
  const none: ThresholdSuggestion = {
    threshold: null, targetPrecision, confidenceLevel, method, accepted: 0, correct: 0, precision: 0, precisionLowerBound: 0, coverage: 0, total, curve: [],
  };
  if (total === 0) return none;

  // One row per distinct confidence, highest first, with the running counts above it.
  const sorted = [...decisions].sort((a, b) => b.confidence - a.confidence);
  const blocks: Array<{ threshold: number; accepted: number; correct: number }> = [];
  let accepted = 0;
  let correct = 0;
  for (let i = 0; i < sorted.length; i++) {
    const d = sorted[i]!;
    accepted++;
    if (d.correct) correct++;
    if (i + 1 === sorted.length || sorted[i + 1]!.confidence !== d.confidence) blocks.push({ threshold: d.confidence, accepted, correct });
  }

  const alpha = 1 - confidenceLevel;
  let chosen = -1;
  for (let b = 0; b < blocks.length; b++) {
    const { accepted: n, correct: k } = blocks[b]!;
    if (n >= minAccepted && boundReaches(method, k, n, confidenceLevel, alpha, targetPrecision)) chosen = b;
  }

  const bound = (k: number, n: number) => (method === 'wilson' ? wilsonLowerBound(k, n, confidenceLevel) : clopperPearsonLowerBound(k, n, confidenceLevel));
  const curve = curveIndices(blocks.map((b) => b.accepted), chosen).map((b) => {
    const p = blocks[b]!;
    return { threshold: p.threshold, accepted: p.accepted, precision: p.correct / p.accepted, lowerBound: bound(p.correct, p.accepted), coverage: p.accepted / total };
  });
  if (chosen < 0) return { ...none, curve };
  const c = blocks[chosen]!;
  return {
    ...none, threshold: c.threshold, accepted: c.accepted, correct: c.correct, precision: c.correct / c.accepted,
    precisionLowerBound: bound(c.correct, c.accepted), coverage: c.accepted / total, curve,
  };
}

/**
 * Whether the bound reaches the target, without inverting the beta function for every candidate:
 * the Clopper-Pearson bound is at least `target` exactly when seeing `successes` or more would be
 * rarer than `alpha` if the precision were only `target`. One incomplete-beta evaluation instead of
 * a root search, which is what keeps the scan over thousands of candidates cheap.
 */
function boundReaches(method: BoundMethod, successes: number, trials: number, level: number, alpha: number, target: number): boolean {
  // The lower bound never exceeds the observed share, so most candidates are settled here.
  if (successes / trials < target) return false;
  if (method === 'wilson') return wilsonLowerBound(successes, trials, level) >= target;
  return regularizedBeta(target, successes, trials - successes + 1) <= alpha;
}

/** Spread over coverage rather than over confidence, which bunches near 1 for a confident model. */
function curveIndices(acceptedByBlock: readonly number[], chosen: number): number[] {
  const total = acceptedByBlock[acceptedByBlock.length - 1]!;
  const picked = new Set<number>();
  const steps = chosen >= 0 ? curveRows - 1 : curveRows;
  let b = 0;
  for (let j = 1; j <= steps; j++) {
    const want = Math.ceil((j * total) / steps);
    while (b < acceptedByBlock.length - 1 && acceptedByBlock[b]! < want) b++;
    picked.add(b);
  }
  if (chosen >= 0) picked.add(chosen);
  return [...picked].sort((x, y) => x - y);
}

function validate(decisions: readonly ScoredDecision[], target: number, level: number, method: string, minAccepted: number): void {
  const problems: FieldProblem[] = [];
  const open = (v: number) => Number.isFinite(v) && v > 0 && v < 1;
  if (!open(target)) problems.push({ path: 'targetPrecision', message: `must be between 0 and 1 (exclusive), not ${target}` });
  if (!open(level)) problems.push({ path: 'confidenceLevel', message: `must be between 0 and 1 (exclusive), not ${level}` });
  if (method !== 'clopper-pearson' && method !== 'wilson') problems.push({ path: 'method', message: `must be 'clopper-pearson' or 'wilson', not ${JSON.stringify(method)}` });
  if (!Number.isInteger(minAccepted) || minAccepted < 0) problems.push({ path: 'minAccepted', message: `must be a whole number of cases, not ${minAccepted}` });
  if (!Array.isArray(decisions)) problems.push({ path: 'decisions', message: 'must be an array' });
  else {
    for (let i = 0; i < decisions.length; i++) {
      const d = decisions[i] as Partial<ScoredDecision> | null | undefined;
      const c = d?.confidence;
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0 || c > 1) {
        problems.push({ path: `decisions[${i}].confidence`, message: `must be a number from 0 to 1, not ${String(c)}` });
      }
      if (typeof d?.correct !== 'boolean') problems.push({ path: `decisions[${i}].correct`, message: `must be true or false, not ${String(d?.correct)}` });
    }
  }
  if (problems.length === 0) return;
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  throw new KeelError('invalid_input', `${first.path} ${first.message}${more}`, {
    problems: problems.slice(0, maxListedProblems),
    hint: 'Pass confidences in [0, 1] with a boolean `correct`, a target precision and a confidence level strictly between 0 and 1.',
  });
}

/**
 * One-sided Wilson score lower bound: the smallest p whose normal-approximation test does not
 * reject `successes` out of `trials` at `confidenceLevel`. 0 when there are no trials.
 */
export function wilsonLowerBound(successes: number, trials: number, confidenceLevel: number): number {
  checkCounts(successes, trials, confidenceLevel);
  if (trials === 0) return 0;
  const z = normalQuantile(confidenceLevel);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = p + z2n / 2;
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return Math.min(1, Math.max(0, (centre - margin) / (1 + z2n)));
}

/**
 * Exact (Clopper-Pearson) one-sided lower bound: the L with P(X >= successes | p = L) = 1 -
 * confidenceLevel for X ~ Binomial(trials, p), i.e. the (1 - confidenceLevel) quantile of
 * Beta(successes, trials - successes + 1). 0 when successes is 0.
 */
export function clopperPearsonLowerBound(successes: number, trials: number, confidenceLevel: number): number {
  checkCounts(successes, trials, confidenceLevel);
  if (successes === 0) return 0;
  const alpha = 1 - confidenceLevel;
  // Closed form when every trial succeeded; it also spares the root search its hardest case.
  if (successes === trials) return alpha ** (1 / trials);
  return inverseRegularizedBeta(alpha, successes, trials - successes + 1, successes / trials);
}

function checkCounts(successes: number, trials: number, level: number): void {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new KeelError('invalid_input', `successes and trials must be whole numbers with 0 <= successes <= trials, not ${successes} of ${trials}`);
  }
  if (!(Number.isFinite(level) && level > 0 && level < 1)) {
    throw new KeelError('invalid_input', `confidenceLevel must be between 0 and 1 (exclusive), not ${level}`);
  }
}

/**
 * The x in [0, upper] with I_x(a, b) = y. Bisection rather than Newton: I_x is monotone, so halving
 * cannot diverge, and running it until the bracket is two adjacent doubles makes the answer the
 * largest x whose I_x stays at or below y (the conservative side for a lower bound).
 */
function inverseRegularizedBeta(y: number, a: number, b: number, upper: number): number {
  let lo = 0;
  let hi = upper;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (regularizedBeta(mid, a, b) <= y) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** I_x(a, b), the regularized incomplete beta function, by Lentz's continued fraction. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges quickly only left of the mode; on the right use I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const clamp = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7): about 15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0]!;
  for (let i = 1; i < lanczos.length; i++) sum += lanczos[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
