import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FieldProblem } from '../errors.js';
import { loadWorkflowFile, regexPatternProblem, validateWorkflowText, workflowJsonSchema } from './index.js';

// 9 header lines, so `evals:` is line 10 and the first scorer starts on line 13.
const header = [
  'id: evals-test',
  'title: Evals section',
  'owner: ops@example.com',
  'risk: low',
  'triggers: [ { manual: {} } ]',
  'input: { type: object }',
  'steps:',
  '  - { id: classify, kind: transform, expression: \'{ "label": "a" }\' }',
  'exclusions: []',
].join('\n');

const withEvals = (lines: string[]) => [header, 'evals:', '  threshold: 0.85', '  scorers:', ...lines].join('\n');

function problemsOf(text: string): FieldProblem[] {
  const result = validateWorkflowText(text, 'w.yaml');
  if (result.ok) throw new Error('expected the workflow to be invalid');
  return result.problems;
}

describe('the evals section', () => {
  it('accepts every scorer kind and fills in the defaults', () => {
    const result = validateWorkflowText(withEvals([
      '    - { name: exact, exact: {} }',
      '    - { name: intent, label: { path: classify.label, expected_path: label } }',
      '    - { name: field, field: { path: classify.label } }',
      '    - { name: amount, numeric: { path: total, tolerance: 0.05, relative: true } }',
      "    - { name: ref, regex: { path: reply, pattern: '^T-[0-9]{3}$', flags: i } }",
      '    - { name: greets, contains: { path: reply, value: Hello } }',
      '    - { name: shape, schema: { json_schema: { type: object, required: [classify] } } }',
      '    - { name: tone, judge: { model: judge, rubric: Polite and correct } }',
    ]), 'w.yaml');
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.spec.evals).toMatchObject({ dataset: 'default', threshold: 0.85 });
    expect(result.spec.evals?.scorers[3]).toMatchObject({ numeric: { relative: true } });
    expect(result.spec.evals?.scorers[5]).toMatchObject({ contains: { case_sensitive: true } });
    expect(result.spec.evals?.scorers[7]).toMatchObject({ judge: { pass_score: 0.7 } });
  });

  it('is in the shipped support triage example: a label scorer on the classifier, gate at 0.85', async () => {
    const spec = await loadWorkflowFile(fileURLToPath(new URL('../../workflows/support-triage.yaml', import.meta.url)));
    expect(spec.evals).toEqual({
      dataset: 'default', threshold: 0.85, scorers: [{ name: 'intent', label: { path: 'classify.label', expected_path: 'label' } }],
    });
  });

  it('is in the exported JSON Schema, so editors complete it', () => {
    const validate = new Ajv2020({ strict: false }).compile(workflowJsonSchema());
    const file = parse(withEvals(['    - { name: intent, label: { path: classify.label, expected_path: label } }'])) as Record<string, unknown>;
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...file, evals: { scorers: [{ name: 'x', exact: {}, colour: 1 }] } })).toBe(false);
  });

  it('refuses a scorer with two kinds, at the scorer', () => {
    const problems = problemsOf(withEvals(['    - name: both', '      exact: {}', '      field: { path: label }']));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:13:7 evals.scorers[0]', message: expect.stringMatching(/exactly one kind; this one has exact and field/) }),
    ]);
  });

  it('refuses a scorer with no kind', () => {
    expect(problemsOf(withEvals(['    - name: none']))[0]?.message).toMatch(/give one kind of scorer: exact, field/);
  });

  it('reports a regex that does not compile, and a catastrophic one, at the pattern', () => {
    const problems = problemsOf(withEvals([
      '    - name: broken', //                                    13
      "      regex: { path: reply, pattern: '([a-z]' }", //          14
      '    - name: slow', //                                      15
      "      regex: { path: reply, pattern: '^(a+)+$' }", //        16
      '    - name: sticky', //                                    17
      "      regex: { path: reply, pattern: 'x', flags: g }", //   18
    ]));
    expect(problems.map((p) => [p.path, p.message.slice(0, 40)])).toEqual([
      ['w.yaml:14:38 evals.scorers[0].regex.pattern', 'the pattern does not compile: Invalid re'],
      ['w.yaml:16:38 evals.scorers[1].regex.pattern', 'the pattern nests an unbounded quantifie'],
      ['w.yaml:18:50 evals.scorers[2].regex.flags', 'flags must be some of i, m, s, u, each o'],
    ]);
  });

  it('reports a duplicate scorer name at the second one', () => {
    const problems = problemsOf(withEvals(['    - { name: intent, exact: {} }', '    - { name: intent, label: { path: label } }']));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:14:15 evals.scorers[1].name', message: expect.stringMatching(/^duplicate scorer name "intent" \(also scorers\[0\]\)/) }),
    ]);
  });

  it('reports a path that is not JSONata, with its position', () => {
    const problems = problemsOf(withEvals(["    - { name: intent, label: { path: 'classify.', expected_path: label } }"]));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:13:38 evals.scorers[0].label.path', message: expect.stringMatching(/^JSONata syntax error/) }),
    ]);
  });

  it('needs exactly one of value or expected_path in a contains scorer, and a valid JSON Schema', () => {
    const problems = problemsOf(withEvals([
      '    - { name: c, contains: { path: reply } }',
      '    - { name: s, schema: { json_schema: { type: objekt } } }',
    ]));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['w.yaml:13:28 evals.scorers[0].contains', 'give exactly one of value or expected_path'],
      ['w.yaml:14:49 evals.scorers[1].schema.json_schema.type', expect.stringMatching(/^not a valid JSON Schema/)],
    ]);
  });

  it('checks the threshold and the dataset name', () => {
    const text = withEvals(['    - { name: e, exact: {} }']).replace('threshold: 0.85', 'threshold: 85\n  dataset: "../x"');
    expect(problemsOf(text).map((p) => p.message)).toEqual(['must be at most 1', 'must be a dataset name: letters, digits, _, . or -']);
  });
});

describe('regexPatternProblem', () => {
  it('allows ordinary patterns and flags', () => {
    expect(regexPatternProblem('^[A-Z]{2}-\\d+$', 'iu')).toBeUndefined();
    expect(regexPatternProblem('(ab)+c*', '')).toBeUndefined();
    expect(regexPatternProblem('(\\d{1,3}\\.){3}\\d{1,3}')).toBeUndefined();
    expect(regexPatternProblem('[(+]+(x)*')).toBeUndefined();
  });

  it('refuses nested unbounded quantifiers, long patterns and repeated or stateful flags', () => {
    expect(regexPatternProblem('(\\w*)*x')).toMatch(/nests an unbounded quantifier/);
    expect(regexPatternProblem('((a|b)+c)*')).toMatch(/nests/);
    expect(regexPatternProblem('(?:x+){2,}')).toMatch(/nests/);
    expect(regexPatternProblem('a'.repeat(501))).toMatch(/at most 500/);
    expect(regexPatternProblem('a', 'ii')).toMatch(/flags/);
    expect(regexPatternProblem('a', 'y')).toMatch(/flags/);
  });
});
