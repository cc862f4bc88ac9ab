// Seeded randomness for everything the classifier shuffles (coordinate order, the calibration
// slice, the benchmark's split), so that one seed reproduces one model bit for bit.
import { KeelError } from '../../errors.js';
import type { LabelledRow } from './dataset.js';

/** A small, fast PRNG (mulberry32): reproducible across Node versions, unlike Math.random. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRandom(seed: number): Random {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** Fisher-Yates in place over the first `length` items (all by default). */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, random: Random, length = items.length): T {
  for (let i = length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * Row indices grouped by label, each group shuffled, then `holdout` of every group set aside.
 * A label with two rows or more keeps at least one on each side, so that every label is both
 * learnt and measured; a label with a single row stays on the learning side.
 */
export function stratifiedIndices(labels: readonly string[], holdout: number, random: Random): { train: number[]; test: number[] } {
  if (!(holdout > 0 && holdout < 1)) {
    throw new KeelError('invalid_input', `the held-out share must be between 0 and 1 (exclusive), not ${holdout}`);
  }
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const group = byLabel.get(label);
    if (group) group.push(i);
    else byLabel.set(label, [i]);
  });
  const train: number[] = [];
  const test: number[] = [];
  // Sorted so the split does not depend on the order labels first appear in.
  for (const label of [...byLabel.keys()].sort()) {
    const group = shuffleInPlace(byLabel.get(label)!, random);
    const held = group.length < 2 ? 0 : Math.min(group.length - 1, Math.max(1, Math.round(group.length * holdout)));
    for (let i = 0; i < group.length; i++) (i < held ? test : train).push(group[i]!);
  }
  // Back in file order: a stable, readable split.
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train, test };
}

/**
 * Splits labelled rows into a learning part and a held-out part with the same label mix, the same
 * way for the same seed.
 */
export function splitStratified(rows: readonly LabelledRow[], options: { holdout: number; seed: number }): { train: LabelledRow[]; test: LabelledRow[] } {
  const { train, test } = stratifiedIndices(rows.map((r) => r.label), options.holdout, createRandom(options.seed));
  return { train: train.map((i) => rows[i]!), test: test.map((i) => rows[i]!) };
}
