import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKeelError, KeelError } from '../errors.js';
import { loadWorkflowFile, parseWorkflow, validateWorkflowText } from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const read = (name: string) => readFileSync(fixture(name), 'utf8');

/** The problems of a file that must be invalid. */
function problemsOf(text: string, fileName = 'workflows/x.yaml') {
  const result = validateWorkflowText(text, fileName);
  if (result.ok) throw new Error('expected the workflow to be invalid');
  return result.problems;
}

describe('parseWorkflow on valid files', () => {
  it('parses a managed workflow and fills in the defaults', () => {
    const spec = parseWorkflow(read('support-triage.yaml'), 'workflows/support-triage.yaml');
    expect(spec.id).toBe('support-triage');
    expect(spec.kind).toBe('managed');
    expect(spec.steps.map((s) => s.kind)).toEqual(['transform', 'route', 'model', 'review', 'action', 'review']);
    const classify = spec.steps[0];
    expect(classify?.timeout).toBe('30s');
    expect(classify?.retry).toEqual({ max_attempts: 3, backoff: '1s', max_backoff: '5m' });
    // A partly written retry block keeps what was written and defaults the rest.
    expect(spec.steps[5]?.retry).toEqual({ max_attempts: 5, backoff: '1s', max_backoff: '5m' });
    const approve = spec.steps[3];
    expect(approve?.kind === 'review' && approve.due).toBe('4h');
    expect(approve?.kind === 'review' && approve.on_reject).toBe('end');
    expect(spec.approval?.rules[0]?.then).toBe('review');
    // YAML 1.2 keeps an unquoted date a string, which is how the spec stores it.
    expect(spec.runbook?.next_review).toBe('2027-03-01');
  });

  it('parses an external workflow with no steps and no triggers', () => {
    const spec = parseWorkflow(read('n8n-invoices.yaml'), 'workflows/n8n-invoices.yaml');
    expect(spec.kind).toBe('external');
    expect(spec.steps).toEqual([]);
    expect(spec.triggers).toEqual([]);
    expect(spec.metric?.name).toBe('invoices processed per day');
  });

  it('loads a workflow from a file path', async () => {
    const spec = await loadWorkflowFile(fixture('support-triage.yaml'));
    expect(spec.title).toBe('Support ticket triage');
  });

  it('reports a missing file as not_found', async () => {
    await expect(loadWorkflowFile(fixture('nope.yaml'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('problem reporting', () => {
  it('reports an unknown field at the line and column of its key, with a spelling hint', () => {
    const text = read('n8n-invoices.yaml').replace('risk: low', 'risk: low\nownr: someone');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'workflows/x.yaml:6:1 ownr', message: 'unknown field "ownr"' });
    expect(problems[0]?.hint).toContain('did you mean "owner"?');
  });

  it('reports an unknown field nested in a step at its own line:col', () => {
    const text = read('support-triage.yaml').replace('    kind: transform\n', '    kind: transform\n    expresion: x\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path)).toEqual(['workflows/x.yaml:19:5 steps[0].expresion']);
    expect(problems[0]?.hint).toContain('did you mean "expression"?');
  });

  it('reports every problem at once, in file order, with correct line numbers', () => {
    const text = [
      'id: Bad_Id', //                          1
      'title: Broken', //                       2
      'owner: ops@example.com', //              3
      'risk: extreme', //                       4
      'triggers:', //                           5
      '  - manual: {}', //                      6
      'input: { type: object }', //             7
      'steps:', //                              8
      '  - id: first', //                       9
      '    kind: transform', //                10
      '    expression: "$sum("', //            11
      '    timeout: soon', //                  12
      '    next: nowhere', //                  13
      '  - id: first', //                      14
      '    kind: teleport', //                 15
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path)).toEqual([
      'workflows/x.yaml:1:5 id',
      'workflows/x.yaml:4:7 risk',
      'workflows/x.yaml:11:17 steps[0].expression',
      'workflows/x.yaml:12:14 steps[0].timeout',
      'workflows/x.yaml:13:11 steps[0].next',
      'workflows/x.yaml:14:9 steps[1].id',
      'workflows/x.yaml:15:11 steps[1].kind',
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('lower-case letter'),
      expect.stringContaining('must be one of: low, medium, high'),
      expect.stringContaining('JSONata syntax error'),
      expect.stringContaining('must be a duration'),
      '"nowhere" is not a step',
      'duplicate step id "first" (also steps[0])',
      'unknown kind "teleport"',
    ]);
    for (const p of problems) expect(p.hint, p.path).toBeTruthy();
  });

  it('points a missing required field at its parent map', () => {
    const text = ['id: no-owner', 'title: T', 'kind: external', 'risk: low', 'metric:', '  unit: days'].join('\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['workflows/x.yaml:1:1 owner', 'missing required field "owner"'],
      ['workflows/x.yaml:6:3 metric.name', 'missing required field "name"'],
    ]);
  });

  it('names the allowed forms when a trigger matches none of them', () => {
    const text = read('support-triage.yaml').replace('  - manual: {}', '  - manual: {}\n    webhook: {}');
    const problems = problemsOf(text);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'workflows/x.yaml:11:5 triggers[2]',
        message: 'must have exactly one of: webhook, schedule, manual, email',
      }),
    ]);
  });

  it('reports a problem inside one trigger form without the other forms\' noise', () => {
    const text = read('support-triage.yaml').replace('{ env: KEEL_HOOK_SECRET_SUPPORT }', '{ env: "s3cr3t-value" }');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('workflows/x.yaml:9:31 triggers[0].webhook.secret.env');
    expect(problems[0]?.hint).toContain('environment variable');
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('id: x\ntitle: [unclosed\nowner: o\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.path).toMatch(/^workflows\/x\.yaml:\d+:\d+$/);
    expect(problems[0]?.message).toMatch(/^YAML syntax error/);
  });

  it('reports a duplicated key as a YAML error at the second key', () => {
    const problems = problemsOf('id: a-b\nid: c-d\n');
    expect(problems).toEqual([expect.objectContaining({ path: 'workflows/x.yaml:2:1' })]);
    expect(problems[0]?.hint).toContain('only once');
  });

  it('reports an empty file as one problem', () => {
    expect(problemsOf('# nothing here\n').map((p) => p.message)).toEqual(['the file is empty']);
  });

  it('throws one invalid_workflow KeelError carrying every problem', () => {
    const text = read('n8n-invoices.yaml').replace('risk: low', 'risk: none\ncolor: red');
    let caught: unknown;
    try {
      parseWorkflow(text, 'workflows/n8n.yaml');
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'invalid_workflow')).toBe(true);
    const error = caught as KeelError;
    expect(error.problems.map((p) => p.path)).toEqual(['workflows/n8n.yaml:5:7 risk', 'workflows/n8n.yaml:6:1 color']);
    expect(error.message).toContain('2 problems');
    expect(error.hint).toContain('keel validate');
  });
});
