// label: one classification per case, right or wrong. Both labels are kept on the verdict so the
// aggregate can count precision, recall and the confusion matrix over the whole run.
import type { ScorerSpec } from '../../spec/index.js';
import { fail, pass, type LabelPair, type ScorerCase, type Verdict } from './types.js';
import { lookup, typeName } from './values.js';

export async function scoreLabel(spec: NonNullable<ScorerSpec['label']>, c: ScorerCase): Promise<Verdict> {
  const expectedPath = spec.expected_path ?? spec.path;
  const [expected, predicted] = await Promise.all([lookup(expectedPath, c.expected, 'expected'), lookup(spec.path, c.output, 'output')]);
  const pair: LabelPair = {
    expected: expected.found && typeof expected.value === 'string' ? expected.value.normalize('NFC') : null,
    predicted: predicted.found && typeof predicted.value === 'string' ? predicted.value.normalize('NFC') : null,
  };
  // Labels are names, so only strings count: a number or an object where a label belongs is a
  // wrong answer, never silently turned into text that might happen to match.
  if (!expected.found) return fail(expected.detail, { label: pair });
  if (pair.expected === null) return fail(`the expected label at ${expectedPath} is ${typeName(expected.value)}, not a string`, { label: pair });
  if (!predicted.found) return fail(predicted.detail, { label: pair });
  if (pair.predicted === null) return fail(`the label at ${spec.path} is ${typeName(predicted.value)}, not a string`, { label: pair });
  if (pair.predicted === pair.expected) return pass({ label: pair });
  return fail(`labelled "${pair.predicted}", expected "${pair.expected}"`, { label: pair });
}
