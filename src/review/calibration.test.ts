import { describe, expect, it } from 'vitest';
import { KeelError } from '../errors.js';
import { createRandom } from '../models/index.js';
import { clopperPearsonLowerBound, logGamma, regularizedBeta, suggestThreshold, wilsonLowerBound, type ScoredDecision } from './calibration.js';

const seed = 20_261_130;

// Independent oracles: the binomial tail summed term by term (log space, so large n does not
// overflow) and a plain bisection, sharing no code with the continued fraction under test.
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}
function upperTail(k: number, n: number, p: number): number {
  let s = 0;
  for (let j = k; j <= n; j++) s += Math.exp(logChoose(n, j) + j * Math.log(p) + (n - j) * Math.log1p(-p));
  return s;
}
function oracleClopperPearson(k: number, n: number, level: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(k, n, mid) <= 1 - level) lo = mid;
    else hi = mid;
  }
  return lo;
}
// Wilson's bound is where the score statistic equals z; found by bisection, not the closed form.
const z95 = 1.6448536269514722;
function oracleWilson(k: number, n: number): number {
  let lo = 0;
  let hi = k / n;
  for (let i = 0; i < 100; i++) {
    const p = (lo + hi) / 2;
    if ((k / n - p) / Math.sqrt((p * (1 - p)) / n) > z95) lo = p;
    else hi = p;
  }
  return lo;
}

describe('bounds', () => {
  it('computes the special functions the exact bound rests on', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_0.3(2, 3) = P(Binomial(4, 0.3) >= 2) = 0.3483.
    expect(regularizedBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
    expect(regularizedBeta(0.3, 2, 3) + regularizedBeta(0.7, 3, 2)).toBeCloseTo(1, 12);
  });

  it('gives the known one-sided 95 % Clopper-Pearson lower bounds', () => {
    expect(clopperPearsonLowerBound(98, 100, 0.95)).toBeCloseTo(0.938381, 6);
    expect(clopperPearsonLowerBound(50, 50, 0.95)).toBeCloseTo(0.941845, 6);
    expect(clopperPearsonLowerBound(1, 10, 0.95)).toBeCloseTo(1 - 0.95 ** 0.1, 9);
    expect(clopperPearsonLowerBound(0, 10, 0.95)).toBe(0);
  });

  it('gives the known one-sided 95 % Wilson lower bounds', () => {
    expect(wilsonLowerBound(98, 100, 0.95)).toBeCloseTo(0.941352, 6);
    expect(wilsonLowerBound(0, 0, 0.95)).toBe(0);
    expect(wilsonLowerBound(0, 20, 0.95)).toBe(0);
  });

  it(`agrees with brute-force oracles on random counts (seed ${seed})`, () => {
    console.log(`bounds oracle seed ${seed}`);
    const random = createRandom(seed);
    for (let i = 0; i < 40; i++) {
      const n = 1 + random.int(400);
      const k = random.int(n + 1);
      const level = [0.8, 0.9, 0.95, 0.99][random.int(4)]!;
      expect(clopperPearsonLowerBound(k, n, level), `CP ${k}/${n} at ${level}`).toBeCloseTo(oracleClopperPearson(k, n, level), 8);
      if (k > 0) expect(wilsonLowerBound(k, n, 0.95), `Wilson ${k}/${n}`).toBeCloseTo(oracleWilson(k, n), 7);
    }
  });

  it('rises with successes and with trials at a fixed share, and falls with the confidence level', () => {
    for (const bound of [clopperPearsonLowerBound, wilsonLowerBound]) {
      let last = -1;
      for (let k = 0; k <= 60; k++) {
        const b = bound(k, 60, 0.95);
        expect(b).toBeGreaterThan(last);
        expect(b).toBeLessThanOrEqual(k / 60);
        last = b;
      }
      expect(bound(490, 500, 0.95)).toBeGreaterThan(bound(98, 100, 0.95));
      expect(bound(98, 100, 0.99)).toBeLessThan(bound(98, 100, 0.9));
    }
    // The exact bound is the more conservative one at high precision.
    expect(clopperPearsonLowerBound(98, 100, 0.95)).toBeLessThan(wilsonLowerBound(98, 100, 0.95));
  });

  it('stays accurate for large counts', () => {
    expect(clopperPearsonLowerBound(9_990, 10_000, 0.95)).toBeCloseTo(oracleClopperPearson(9_990, 10_000, 0.95), 8);
  });
});

const case_ = (confidence: number, correct: boolean): ScoredDecision => ({ confidence, correct });

describe('suggestThreshold', () => {
  it('finds the boundary of a perfectly separable set', () => {
    // 200 right at 0.6 and above, 100 wrong below 0.5: the lowest right confidence is the answer.
    const right = Array.from({ length: 200 }, (_, i) => case_(0.6 + (0.4 * i) / 199, true));
    const wrong = Array.from({ length: 100 }, (_, i) => case_((0.49 * i) / 99, false));
    const s = suggestThreshold([...wrong, ...right], { targetPrecision: 0.98 });
    expect(s.threshold).toBeCloseTo(0.6, 12);
    expect([s.accepted, s.correct, s.total]).toEqual([200, 200, 300]);
    expect(s.precision).toBe(1);
    expect(s.coverage).toBeCloseTo(2 / 3, 12);
    expect(s.precisionLowerBound).toBeCloseTo(0.05 ** (1 / 200), 12);
    expect(s.method).toBe('clopper-pearson');
    expect(s.curve.length).toBeLessThanOrEqual(20);
    expect(s.curve.some((p) => p.threshold === s.threshold)).toBe(true);
    expect(s.curve.map((p) => p.accepted)).toEqual([...s.curve.map((p) => p.accepted)].sort((a, b) => a - b));
  });

  it('accepts or reviews cases that share a confidence together', () => {
    // 150 right at 0.9; at 0.8 a block of 100 with 30 wrong, which the bound cannot carry.
    const decisions = [
      ...Array.from({ length: 150 }, () => case_(0.9, true)),
      ...Array.from({ length: 100 }, (_, i) => case_(0.8, i >= 30)),
    ];
    const s = suggestThreshold(decisions, { targetPrecision: 0.95 });
    expect(s.threshold).toBe(0.9);
    expect(s.accepted).toBe(150);
    expect(s.curve.map((p) => [p.threshold, p.accepted])).toEqual([[0.9, 150], [0.8, 250]]);
  });

  it('returns no threshold when no threshold meets the target', () => {
    const decisions = Array.from({ length: 500 }, (_, i) => case_(i / 499, i % 10 !== 0));
    const s = suggestThreshold(decisions, { targetPrecision: 0.98 });
    expect(s.threshold).toBeNull();
    expect([s.accepted, s.correct, s.coverage, s.total]).toEqual([0, 0, 0, 500]);
    expect(s.curve.length).toBeGreaterThan(0);
  });

  it('needs minAccepted cases above a threshold', () => {
    const decisions = Array.from({ length: 20 }, (_, i) => case_(0.5 + i / 100, true));
    expect(suggestThreshold(decisions, { targetPrecision: 0.8 }).threshold).toBeNull();
    expect(suggestThreshold(decisions, { targetPrecision: 0.8, minAccepted: 10 }).threshold).toBe(0.5);
  });

  it('answers empty input with no threshold and zeros', () => {
    expect(suggestThreshold([], { targetPrecision: 0.98 })).toMatchObject({ threshold: null, accepted: 0, coverage: 0, total: 0, curve: [] });
  });

  it(`chooses the lowest passing threshold, as a full scan with the bounds would (seed ${seed})`, () => {
    console.log(`suggestThreshold scan seed ${seed}`);
    const random = createRandom(seed);
    for (let round = 0; round < 10; round++) {
      const decisions = Array.from({ length: 400 }, () => {
        const confidence = Math.round(random.next() * 50) / 50;
        return case_(confidence, random.next() < 0.6 + 0.4 * confidence);
      });
      for (const method of ['clopper-pearson', 'wilson'] as const) {
        const s = suggestThreshold(decisions, { targetPrecision: 0.9, method, minAccepted: 10 });
        let expected: number | null = null;
        for (const t of [...new Set(decisions.map((d) => d.confidence))]) {
          const above = decisions.filter((d) => d.confidence >= t);
          const right = above.filter((d) => d.correct).length;
          const bound = method === 'wilson' ? wilsonLowerBound(right, above.length, 0.95) : clopperPearsonLowerBound(right, above.length, 0.95);
          if (above.length >= 10 && bound >= 0.9 && (expected === null || t < expected)) expected = t;
        }
        expect(s.threshold, `${method}, round ${round}`).toBe(expected);
      }
    }
  });

  it('names what is wrong and where', () => {
    const decisions = Array.from({ length: 20 }, () => case_(0.9, true));
    decisions[17] = case_(1.2, true);
    const error = (() => {
      try {
        suggestThreshold(decisions, { targetPrecision: 0.98 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('invalid_input');
    expect((error as KeelError).message).toContain('decisions[17].confidence');
    expect((error as KeelError).problems.map((p) => p.path)).toEqual(['decisions[17].confidence']);
    expect(() => suggestThreshold([case_(Number.NaN, true)], { targetPrecision: 0.98 })).toThrow(/decisions\[0\]\.confidence/);
    expect(() => suggestThreshold([], { targetPrecision: 1 })).toThrow(/targetPrecision/);
    expect(() => suggestThreshold([], { targetPrecision: 0.9, confidenceLevel: 0 })).toThrow(/confidenceLevel/);
  });
});
