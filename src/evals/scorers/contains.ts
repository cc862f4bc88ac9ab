// contains: the string at a path contains a text, or the list at a path holds a value. The text is
// written in the file (`value`) or read from the case (`expected_path`).
import type { ScorerSpec } from '../../spec/index.js';
import { fail, pass, type ScorerCase, type Verdict } from './types.js';
import { lookup, sameValue, shown, typeName } from './values.js';

export async function scoreContains(spec: NonNullable<ScorerSpec['contains']>, c: ScorerCase): Promise<Verdict> {
  let needle: unknown = spec.value;
  if (spec.expected_path !== undefined) {
    const expected = await lookup(spec.expected_path, c.expected, 'expected');
    if (!expected.found) return fail(expected.detail);
    needle = expected.value;
  }
  const actual = await lookup(spec.path, c.output, 'output');
  if (!actual.found) return fail(actual.detail);
  const fold = (s: string) => (spec.case_sensitive ? s.normalize('NFC') : s.normalize('NFC').toLowerCase());

  if (typeof actual.value === 'string') {
    if (typeof needle !== 'string') return fail(`looking for ${typeName(needle)} in a string; the text to look for must be a string`);
    if (fold(actual.value).includes(fold(needle))) return pass();
    return fail(`${spec.path} does not contain ${shown(needle)}${spec.case_sensitive ? '' : ' (ignoring case)'}`);
  }
  if (Array.isArray(actual.value)) {
    const found = actual.value.some((item) =>
      typeof item === 'string' && typeof needle === 'string' ? fold(item) === fold(needle) : sameValue(item, needle));
    return found ? pass() : fail(`${spec.path} does not hold ${shown(needle)}`);
  }
  return fail(`${spec.path} is ${typeName(actual.value)}; contains needs a string or a list`);
}
