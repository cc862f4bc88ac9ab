import { describe, expect, it } from 'vitest';
import { buildFeatureSpace, type SparseVector } from './features.js';
import { countTerms, createTermCounts, defaultTermOptions, normalizeText } from './text-features.js';

const options = defaultTermOptions;
const terms = (text: string) => {
  const counts = countTerms(normalizeText(text), options, createTermCounts());
  return { words: new Map(counts.words), pairs: new Map(counts.pairs), chars: new Map(counts.chars) };
};
const norm = (v: SparseVector) => Math.sqrt(v.values.reduce((s, x) => s + x * x, 0));

describe('text terms', () => {
  it('folds case, compatibility forms and whitespace', () => {
    expect(normalizeText('  Ｃａｒｄ\tARRIVED\n\nlate ')).toBe('card arrived late');
    expect(terms('CARD  arrived')).toEqual(terms('card arrived'));
  });

  it('counts word pairs in either order but bigrams only in their order', () => {
    const a = terms('card never arrived');
    const b = terms('arrived never card');
    expect([...a.pairs.keys()]).toEqual([...b.pairs.keys()]);
    expect(a.pairs.size).toBe(1); // card..arrived; adjacent words are bigrams, not pairs
    expect([...a.words.keys()].sort()).not.toEqual([...b.words.keys()].sort());
  });

  it('pairs words at most pairDistance apart', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const counts = countTerms(words, { ...options, pairDistance: 3 }, createTermCounts());
    // Word i pairs with i-2 and i-3: 38 + 37.
    expect(counts.pairs.size).toBe(75);
  });

  it('counts character n-grams inside padded tokens, keeping punctuation', () => {
    const single = terms('ab?');
    // " ab? " has 5 characters: 4 bigrams, 3 trigrams, 2 four-grams, 1 five-gram.
    expect([...single.chars.values()].reduce((s, n) => s + n, 0)).toBe(10);
    expect(terms('ab?').chars).not.toEqual(terms('ab').chars);
  });
});

describe('buildFeatureSpace', () => {
  const texts = ['my card has not arrived', 'card arrived broken', 'refund my money', 'money back refund please', 'my card is lost'];

  it('keeps terms seen in at least minDf texts; a block without known terms stays empty instead of growing the others', async () => {
    const { space, matrix } = await buildFeatureSpace(texts, { options, minDf: 2, weights: { words: 1, pairs: 1, chars: 1 } });
    const loose = await buildFeatureSpace(texts, { options, minDf: 1, weights: { words: 1, pairs: 1, chars: 1 } });
    expect(space.size).toBeLessThan(loose.space.size);
    // Only "refund ... money" is a pair in two texts.
    expect(space.data.terms.pairs).toHaveLength(1);
    expect(matrix.rows).toBe(texts.length);
    // Words and chars known, and a pair or not: three or two of three equal blocks.
    const norms = texts.map((text) => norm(space.vectorize(text)));
    expect(norms.map((n) => Math.round(n * 1e4) / 1e4)).toEqual([0.8165, 0.8165, 1, 1, 0.8165]);
    for (const text of texts) expect(norm(loose.space.vectorize(text))).toBeCloseTo(1, 5);
    expect(space.vectorize('zzzz').columns).toHaveLength(0);
  });

  it('gives each block its weight of the vector, whatever the text\'s length', async () => {
    const { space } = await buildFeatureSpace(texts, { options, minDf: 1, weights: { words: 2, pairs: 0, chars: 1 } });
    const v = space.vectorize('my card has not arrived');
    const words = space.data.terms.words.length;
    const wordPart = Math.sqrt(v.values.reduce((s, x, i) => s + (v.columns[i]! < words ? x * x : 0), 0));
    expect(wordPart).toBeCloseTo(2 / Math.sqrt(5), 5);
    expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('restricts a vector to known features as vectorize treats unknown terms: dropped, the rest rescaled', async () => {
    const { space } = await buildFeatureSpace(texts, { options, minDf: 1, weights: { words: 1, pairs: 1, chars: 1 } });
    const v = space.vectorize('my card has not arrived');
    const all = new Uint8Array(space.size).fill(1);
    expect(space.restrict(v, all)).toEqual(v);
    const some = new Uint8Array(space.size);
    v.columns.forEach((c, i) => (some[c] = i % 2));
    const r = space.restrict(v, some);
    expect(r.columns.every((c) => some[c] === 1)).toBe(true);
    expect(norm(r)).toBeCloseTo(1, 5);
  });
});
