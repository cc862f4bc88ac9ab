// exact: the whole output equals the whole expected value, as canonical JSON (key order ignored,
// no type coercion, strings in NFC).
import { fail, pass, type ScorerCase, type Verdict } from './types.js';
import { sameValue, shown } from './values.js';

export function scoreExact(c: ScorerCase): Verdict {
  if (sameValue(c.output, c.expected)) return pass();
  return fail(`the output ${shown(c.output)} differs from the expected ${shown(c.expected)}`);
}
