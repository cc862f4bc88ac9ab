// field: the value at one path of the output equals the value at a path of the expected value.
import type { ScorerSpec } from '../../spec/index.js';
import { fail, pass, type ScorerCase, type Verdict } from './types.js';
import { lookup, sameValue, shown } from './values.js';

export async function scoreField(spec: NonNullable<ScorerSpec['field']>, c: ScorerCase): Promise<Verdict> {
  const expected = await lookup(spec.expected_path ?? spec.path, c.expected, 'expected');
  if (!expected.found) return fail(expected.detail);
  const actual = await lookup(spec.path, c.output, 'output');
  if (!actual.found) return fail(actual.detail);
  if (sameValue(actual.value, expected.value)) return pass();
  return fail(`${spec.path} is ${shown(actual.value)}, expected ${shown(expected.value)}`);
}
