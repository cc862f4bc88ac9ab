// regex: the string at a path matches a pattern. Patterns were checked when the workflow file was
// loaded (compiles, short, no nested unbounded quantifiers: src/spec/regex-pattern.ts); they are
// checked again here because a scorer may come from a version stored before that check existed.
import { KeelError } from '../../errors.js';
import { regexPatternProblem, type ScorerSpec } from '../../spec/index.js';
import { fail, pass, type ScorerCase, type Verdict } from './types.js';
import { lookup, typeName } from './values.js';

// Flags never include g or y, so a compiled RegExp keeps no state between tests and can be shared.
const compiled = new Map<string, RegExp>();

export async function scoreRegex(spec: NonNullable<ScorerSpec['regex']>, c: ScorerCase): Promise<Verdict> {
  const regex = compile(spec.pattern, spec.flags ?? '');
  const actual = await lookup(spec.path, c.output, 'output');
  if (!actual.found) return fail(actual.detail);
  if (typeof actual.value !== 'string') return fail(`${spec.path} is ${typeName(actual.value)}, not a string`);
  if (regex.test(actual.value.normalize('NFC'))) return pass();
  return fail(`${spec.path} does not match /${spec.pattern}/${spec.flags ?? ''}`);
}

function compile(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    const problem = regexPatternProblem(pattern, flags);
    if (problem) throw new KeelError('misconfigured', `Regex scorer: ${problem}.`, { hint: 'Fix the pattern in the workflow file\'s evals section and deploy it again.' });
    regex = new RegExp(pattern, flags);
    compiled.set(key, regex);
  }
  return regex;
}
