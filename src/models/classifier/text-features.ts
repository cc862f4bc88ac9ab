// Turns text into the terms the classifier weighs, in three blocks:
// - words: single words and adjacent pairs (bigrams);
// - pairs: two words of the same text further apart, in either order ("card ... arrived" and
//   "arrived ... card" are one term). In short requests the intent often rests on two words that
//   are not neighbours; measured on BANKING77 they add about one point of accuracy;
// - chars: character n-grams inside each token padded with spaces, which carry typos, plurals and
//   word pieces that whole words miss.
// Terms are 32-bit hashes computed in place, never substrings, so extraction allocates almost
// nothing and the artifact stores numbers instead of strings.

/** How text becomes terms; stored in the artifact, since prediction must do exactly the same. */
export interface TermOptions {
  /** Shortest and longest character n-gram (inside a token padded with one space each side). */
  charMin: number;
  charMax: number;
  /** Word pairs at most this many words apart (2 and more; adjacent words are bigrams); 0 for none. */
  pairDistance: number;
}

/** A text of 100 words makes about 1,500 pairs at distance 32; a long document stays linear in its length. */
export const defaultTermOptions: TermOptions = { charMin: 2, charMax: 5, pairDistance: 32 };

export const blockNames = ['words', 'pairs', 'chars'] as const;
export type BlockName = (typeof blockNames)[number];

const fnvPrime = 0x01000193;
// Different starting points keep a word and a character n-gram with the same letters apart.
const wordSeed = 0x811c9dc5;
const charSeed = 0x050c5d1f;
const bigramSeed = 0x3c6ef372;
const pairSeed = 0x2545f491;

/** Lower case, compatibility forms folded (full-width letters, ligatures), whitespace collapsed. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Murmur3's finaliser: spreads two combined hashes over all 32 bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const letterOrDigit = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(code: number): boolean {
  // ASCII fast path; anything beyond it is tested as a letter, digit or combining mark by Unicode property.
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
  return letterOrDigit.test(String.fromCharCode(code));
}

/** One text's terms: per block, hash -> count. Reused between texts to spare allocations. */
export type TermCounts = Record<BlockName, Map<number, number>>;

export function createTermCounts(): TermCounts {
  return { words: new Map(), pairs: new Map(), chars: new Map() };
}

function add(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Fills `out` (cleared first) with the terms of already normalised text. */
export function countTerms(normalized: string, options: TermOptions, out: TermCounts): TermCounts {
  out.words.clear();
  out.pairs.clear();
  out.chars.clear();
  // Words: runs of letters and digits; punctuation separates them but stays in the n-grams.
  const words: number[] = [];
  let h = wordSeed;
  let inWord = false;
  for (let i = 0; i <= normalized.length; i++) {
    const code = i < normalized.length ? normalized.charCodeAt(i) : 32;
    if (isWordChar(code)) {
      h = Math.imul(h ^ code, fnvPrime);
      inWord = true;
    } else if (inWord) {
      words.push(h >>> 0);
      h = wordSeed;
      inWord = false;
    }
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    add(out.words, word);
    if (i > 0) add(out.words, mix(Math.imul(words[i - 1]!, 0x9e3779b1) ^ word ^ bigramSeed));
    for (let j = Math.max(0, i - options.pairDistance); j < i - 1; j++) {
      const other = words[j]!;
      add(out.pairs, mix(Math.imul(Math.min(other, word), 0x7feb352d) ^ Math.max(other, word) ^ pairSeed));
    }
  }
  // Character n-grams of each space-separated token padded with a space each side: " card? ".
  let start = 0;
  while (start < normalized.length) {
    let end = normalized.indexOf(' ', start);
    if (end < 0) end = normalized.length;
    countCharGrams(normalized, start, end, options, out.chars);
    start = end + 1;
  }
  return out;
}

function countCharGrams(text: string, start: number, end: number, options: TermOptions, out: Map<number, number>): void {
  const padded = end - start + 2;
  const codeAt = (p: number): number => (p === 0 || p === padded - 1 ? 32 : text.charCodeAt(start + p - 1));
  for (let i = 0; i + options.charMin <= padded; i++) {
    let h = charSeed;
    const last = Math.min(padded, i + options.charMax);
    for (let j = i; j < last; j++) {
      h = Math.imul(h ^ codeAt(j), fnvPrime);
      if (j - i + 1 >= options.charMin) add(out, h >>> 0);
    }
  }
}
