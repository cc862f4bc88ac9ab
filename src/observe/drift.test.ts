import { describe, expect, it } from 'vitest';
import { populationStability, psiLevel, windowsAt } from './drift.js';

function mulberry32(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(random: () => number, labels: number, n: number, pick?: (r: number) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const label = `intent_${pick ? pick(random()) : Math.floor(random() * labels)}`;
    out.set(label, (out.get(label) ?? 0) + 1);
  }
  return out;
}

describe('population stability', () => {
  it('is zero for identical distributions and grows with the shift', () => {
    const base = new Map([['a', 50], ['b', 30], ['c', 20]]);
    expect(populationStability(base, new Map([['a', 5], ['b', 3], ['c', 2]]))).toBeLessThan(0.01);
    const moved = populationStability(base, new Map([['a', 20], ['b', 30], ['c', 50]]));
    expect(moved).toBeGreaterThan(0.25);
    expect(psiLevel(moved)).toBe('significant');
    expect(populationStability(base, new Map())).toBe(0);
  });

  it('stays below the significant band when 77 intents are sampled twice from one distribution, and passes 0.25 when the recent hour is only two of them', () => {
    const seed = Number(process.env.KEEL_TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`drift sampling seed ${seed} (KEEL_TEST_SEED=${seed} repeats it)`);
    const random = mulberry32(seed);
    for (let round = 0; round < 20; round++) {
      const baseline = sample(random, 77, 2_000);
      const recent = sample(random, 77, 200);
      expect(populationStability(baseline, recent), `round ${round}`).toBeLessThan(0.25);
      const shifted = sample(random, 77, 60, (r) => (r < 0.5 ? 11 : 41));
      expect(populationStability(baseline, shifted), `round ${round}`).toBeGreaterThan(0.25);
    }
  });

  it('takes whole hours ending with the current one', () => {
    const w = windowsAt(new Date('2026-11-30T14:20:00Z'), 3_600_000, 86_400_000);
    expect(w.recentFrom.toISOString()).toBe('2026-11-30T14:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-11-30T15:00:00.000Z');
    expect(w.baselineFrom.toISOString()).toBe('2026-11-29T14:00:00.000Z');
  });
});
