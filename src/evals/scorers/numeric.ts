// numeric: the number at a path is within a tolerance of the expected number, absolute or relative.
import type { ScorerSpec } from '../../spec/index.js';
import { fail, pass, type ScorerCase, type Verdict } from './types.js';
import { lookup, typeName } from './values.js';

export async function scoreNumeric(spec: NonNullable<ScorerSpec['numeric']>, c: ScorerCase): Promise<Verdict> {
  const expectedPath = spec.expected_path ?? spec.path;
  const expected = await lookup(expectedPath, c.expected, 'expected');
  if (!expected.found) return fail(expected.detail);
  if (!isNumber(expected.value)) return fail(`the expected value at ${expectedPath} is ${typeName(expected.value)}, not a number`);
  const actual = await lookup(spec.path, c.output, 'output');
  if (!actual.found) return fail(actual.detail);
  // A numeric string ("12.5") is refused, not parsed: an output that should be a number but is text
  // is itself a defect the eval should show.
  if (!isNumber(actual.value)) return fail(`${spec.path} is ${typeName(actual.value)}, not a number`);
  const allowed = spec.relative ? spec.tolerance * Math.abs(expected.value) : spec.tolerance;
  const difference = Math.abs(actual.value - expected.value);
  // Binary fractions make 0.1 + 0.2 differ from 0.3 in the last bit; that is not a real difference.
  const slack = 1e-12 * Math.max(1, Math.abs(actual.value), Math.abs(expected.value));
  if (difference <= allowed + slack) return pass();
  return fail(`${spec.path} is ${actual.value}, expected ${expected.value} within ${spec.relative ? `${spec.tolerance * 100} %` : spec.tolerance} (off by ${difference})`);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
