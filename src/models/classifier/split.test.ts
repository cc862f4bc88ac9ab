import { describe, expect, it } from 'vitest';
import { KeelError } from '../../errors.js';
import { createRandom, splitStratified } from './split.js';

const seed = 20_261_130;

function rows(): Array<{ text: string; label: string }> {
  // Labels with 1, 2, 10 and 97 rows: the edge cases and a large one.
  const counts: Record<string, number> = { single: 1, pair: 2, ten: 10, many: 97 };
  return Object.entries(counts).flatMap(([label, n]) => Array.from({ length: n }, (_, i) => ({ text: `${label} ${i}`, label })));
}

describe('createRandom', () => {
  it('repeats the same sequence for the same seed and a different one for another', () => {
    const a = createRandom(seed);
    const b = createRandom(seed);
    const c = createRandom(seed + 1);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('splitStratified', () => {
  it(`holds out the same share of every label, keeps each on both sides when it can, and repeats for a seed (seed ${seed})`, () => {
    console.log(`splitStratified seed ${seed}`);
    const all = rows();
    const { train, test } = splitStratified(all, { holdout: 0.2, seed });
    const count = (list: typeof all, label: string) => list.filter((r) => r.label === label).length;
    expect([count(test, 'single'), count(test, 'pair'), count(test, 'ten'), count(test, 'many')]).toEqual([0, 1, 2, 19]);
    expect(train.length + test.length).toBe(all.length);
    expect(new Set([...train, ...test]).size).toBe(all.length);
    expect(splitStratified(all, { holdout: 0.2, seed })).toEqual({ train, test });
    expect(splitStratified(all, { holdout: 0.2, seed: seed + 1 }).test).not.toEqual(test);
  });

  it('keeps the file order within each side', () => {
    const all = rows();
    const { train } = splitStratified(all, { holdout: 0.3, seed });
    const positions = train.map((r) => all.indexOf(r));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('refuses a held-out share outside (0, 1)', () => {
    for (const holdout of [0, 1, -0.1, Number.NaN]) {
      expect(() => splitStratified(rows(), { holdout, seed })).toThrow(KeelError);
    }
  });
});
