import { describe, expect, it } from 'vitest';
import type { FieldProblem } from '../errors.js';
import { validateWorkflowText } from './index.js';

// The header is 8 lines long, so the first line of `steps` is line 9 and its first step starts there.
const header = [
  'id: semantic-test',
  'title: Semantic checks',
  'owner: ops@example.com',
  'risk: low',
  'triggers:',
  '  - manual: {}',
  'input: { type: object }',
  'steps:',
].join('\n');

function managed(steps: string[], tail: string[] = []): string {
  return [header, ...steps, ...tail].join('\n');
}

function problemsOf(text: string): FieldProblem[] {
  const result = validateWorkflowText(text, 'w.yaml');
  if (result.ok) throw new Error('expected the workflow to be invalid');
  return result.problems;
}

function expectValid(text: string): void {
  const result = validateWorkflowText(text, 'w.yaml');
  expect(result.ok ? [] : result.problems).toEqual([]);
}

const transform = (id: string, extra: string[] = []) => [`  - id: ${id}`, '    kind: transform', "    expression: '{}'", ...extra];

describe('expressions', () => {
  it('reports a route condition that is not valid CEL', () => {
    const problems = problemsOf(
      managed([
        '  - id: triage', //                         9
        '    kind: route', //                        10
        '    routes:', //                            11
        "      - when: 'input.x ==== 1'", //         12
        '        to: end',
      ]),
    );
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:12:15 steps[0].routes[0].when', message: expect.stringMatching(/^CEL syntax error/) }),
    ]);
  });

  it('reports an approval rule condition that is not valid CEL', () => {
    const problems = problemsOf(
      managed(transform('a'), ['approval:', '  rules:', "    - when: 'output.confidence <'", '      then: review']),
    );
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:14:13 approval.rules[0].when', message: expect.stringMatching(/^CEL syntax error/) }),
    ]);
  });

  it('reports JSONata that does not compile in a transform, a review and an action input', () => {
    const problems = problemsOf(
      managed([
        '  - id: a', //                               9
        '    kind: transform', //                     10
        "    expression: '$sum(input.x'", //          11
        '  - id: b', //                               12
        '    kind: review', //                        13
        '    title: Check', //                        14
        "    show: 'steps.a.'", //                    15
        '  - id: c', //                               16
        '    kind: action', //                        17
        '    connector: helpdesk', //                 18
        '    action: send', //                        19
        '    delivery: idempotent', //                20
        '    with:', //                               21
        "      body: '{ \"a\": }'", //                22
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'w.yaml:11:17 steps[0].expression',
      'w.yaml:15:11 steps[1].show',
      'w.yaml:22:13 steps[2].with.body',
    ]);
    for (const p of problems) expect(p.message).toMatch(/^JSONata syntax error/);
  });
});

describe('triggers', () => {
  it('reports an invalid cron expression and an unknown time zone', () => {
    const text = managed(transform('a')).replace(
      '  - manual: {}',
      '  - schedule: { cron: "*/5 * * *" }\n  - schedule: { cron: "0 9 * * 1", timezone: Mars/Olympus }',
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.message.slice(0, 24)])).toEqual([
      ['w.yaml:6:23 triggers[0].schedule.cron', 'invalid cron expression:'],
      ['w.yaml:7:46 triggers[1].schedule.timezone', 'unknown time zone "Mars/'],
    ]);
  });

  const withTriggers = (...lines: string[]) => managed(transform('a')).replace('  - manual: {}', lines.join('\n'));

  it('accepts an email trigger with an input mapping, and one with every default', () => {
    expectValid(withTriggers(
      `  - email: { connector: helpdesk, every: 1m, input: '{ "from": message.from, "subject": message.subject }' }`,
      '  - email: { connector: other-mailbox }',
    ));
    const result = validateWorkflowText(withTriggers('  - email: { connector: helpdesk }'), 'w.yaml');
    expect(result.ok && result.spec.triggers[0]).toEqual({ email: { connector: 'helpdesk', every: '30s', start: 'new' } });
  });

  it('starts an email trigger at new mail unless it says start: all, and names the two starts', () => {
    const result = validateWorkflowText(withTriggers(
      '  - email: { connector: helpdesk }',
      '  - email: { connector: helpdesk, start: new }',
      '  - email: { connector: archive, start: all }',
    ), 'w.yaml');
    expect(result.ok && result.spec.triggers.map((t) => 'email' in t && t.email.start)).toEqual(['new', 'new', 'all']);
    const problems = problemsOf(withTriggers(
      '  - email: { connector: helpdesk, start: oldest }',
      '  - email: { connector: helpdesk, start: true }',
    ));
    expect(problems.map((p) => p.path)).toEqual(['w.yaml:6:42 triggers[0].email.start', 'w.yaml:7:42 triggers[1].email.start']);
    expect(problems[0]?.message).toBe('must be one of: new, all (found "oldest")');
  });

  it('reports an email trigger read more often than every 5s, and an input that is not JSONata', () => {
    const problems = problemsOf(withTriggers(
      '  - email: { connector: helpdesk, every: 2s }',
      '  - email: { connector: helpdesk, every: 4999ms }',
      `  - email: { connector: helpdesk, every: 5s, input: '{ "from": message.from' }`,
    ));
    expect(problems.map((p) => [p.path, p.message.slice(0, 30)])).toEqual([
      ['w.yaml:6:42 triggers[0].email.every', 'every must be at least 5s (fou'],
      ['w.yaml:7:42 triggers[1].email.every', 'every must be at least 5s (fou'],
      ['w.yaml:8:53 triggers[2].email.input', 'JSONata syntax error at charac'],
    ]);
    expect(problems[2]?.hint).toContain('JSONata over { message }');
  });

  it('still checks the input of an email trigger whose every is malformed, and names the fields it allows', () => {
    const problems = problemsOf(withTriggers(
      `  - email: { connector: helpdesk, every: 5 seconds, input: 'message.(' }`,
      '  - email: { connector: helpdesk, mailbox: INBOX }',
    ));
    expect(problems.map((p) => p.path)).toEqual([
      'w.yaml:6:42 triggers[0].email.every',
      'w.yaml:6:60 triggers[0].email.input',
      'w.yaml:7:35 triggers[1].email.mailbox',
    ]);
    expect(problems[2]?.hint).toMatch(/allowed fields here: .*connector.*input.*every/);
  });

  it('names email among the trigger forms, and refuses an email trigger on an external workflow', () => {
    const mixed = problemsOf(withTriggers('  - email: { connector: helpdesk }\n    manual: {}'));
    expect(mixed.map((p) => p.message)).toEqual(['must have exactly one of: webhook, schedule, manual, email']);
    const external = problemsOf(
      ['id: elsewhere', 'title: Elsewhere', 'kind: external', 'owner: ops@example.com', 'risk: low', 'triggers:', '  - email: { connector: helpdesk }'].join('\n'),
    );
    expect(external.map((p) => [p.path, p.message])).toEqual([['w.yaml:7:12 triggers[0].email', 'an external workflow cannot have an email trigger']]);
  });
});

describe('step references and the step graph', () => {
  it('reports a dangling next with the closest step id as a hint', () => {
    const problems = problemsOf(managed([...transform('classify', ['    next: clasify']), ...transform('other')]));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:12:11 steps[0].next', message: '"clasify" is not a step' }),
    ]);
    expect(problems[0]?.hint).toContain('did you mean "classify"?');
  });

  it('reports dangling route targets, defaults and on_reject', () => {
    const problems = problemsOf(
      managed([
        '  - id: r', //                 9
        '    kind: route', //           10
        '    routes:', //               11
        "      - when: 'true'", //      12
        '        to: ghost', //         13
        '    default: phantom', //      14
        '  - id: v', //                 15
        '    kind: review', //          16
        '    title: Check', //          17
        '    on_reject: nobody', //     18
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'w.yaml:13:13 steps[0].routes[0].to',
      'w.yaml:14:14 steps[0].default',
      'w.yaml:18:16 steps[1].on_reject',
    ]);
  });

  it('reports a duplicate step id at the second use', () => {
    const problems = problemsOf(managed([...transform('same'), ...transform('same')]));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:12:9 steps[1].id', message: 'duplicate step id "same" (also steps[0])' }),
    ]);
  });

  it('reports a step no other step leads to as an unreachable step', () => {
    const problems = problemsOf(managed([...transform('a', ['    next: end']), ...transform('orphan')]));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:13:5 steps[1]', message: 'unreachable step "orphan": no step leads to it' }),
    ]);
  });

  it('allows a route to send the run back to an earlier step', () => {
    expectValid(
      managed([
        ...transform('draft'),
        '  - id: check',
        '    kind: route',
        '    routes:',
        "      - when: 'steps.draft.ok == false'",
        '        to: draft',
      ]),
    );
  });

  it('allows a rejected review to go back to the draft', () => {
    expectValid(managed([...transform('draft'), '  - id: approve', '    kind: review', '    title: Check', '    on_reject: draft']));
  });

  it('rejects a loop that has no way out', () => {
    const problems = problemsOf(managed([...transform('a', ['    next: b']), ...transform('b', ['    next: a'])]));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:9:5 steps[0]', message: 'steps loop forever: a -> b -> a' }),
    ]);
  });

  it('does not allow a step to be called end', () => {
    const problems = problemsOf(managed(transform('end')));
    expect(problems.map((p) => p.message)).toEqual(['"end" is reserved and cannot be a step id']);
  });
});

describe('workflow kinds', () => {
  it('reports steps on an external workflow', () => {
    const text = ['id: ext-flow', 'title: External', 'kind: external', 'owner: o@example.com', 'risk: low', 'steps:', ...transform('a')];
    const problems = problemsOf(text.join('\n'));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'w.yaml:7:3 steps', message: 'an external workflow must not have steps' }),
    ]);
  });

  it('requires a managed workflow to have steps, a trigger and an input contract', () => {
    const problems = problemsOf(['id: empty-flow', 'title: Empty', 'owner: o@example.com', 'risk: low'].join('\n'));
    expect(problems.map((p) => p.message)).toEqual([
      'a managed workflow needs at least one step',
      'a managed workflow needs at least one trigger',
      'a managed workflow needs an input contract',
    ]);
  });
});

describe('steps', () => {
  it('reports an input contract that is not a valid JSON Schema, at the bad keyword', () => {
    const text = managed(transform('a')).replace('input: { type: object }', 'input:\n  type: object\n  properties:\n    name: { type: strin }');
    const problems = problemsOf(text);
    expect(problems).toEqual([expect.objectContaining({ path: 'w.yaml:10:19 input.properties.name.type' })]);
    expect(problems[0]?.message).toMatch(/^not a valid JSON Schema/);
  });

  it('requires a prompt or a template for a model step, and not both', () => {
    const neither = problemsOf(managed(['  - id: draft', '    kind: model', '    model: template']));
    expect(neither.map((p) => [p.path, p.message])).toEqual([
      ['w.yaml:9:5 steps[0].prompt', 'a model step needs a `prompt` or a `template`'],
    ]);
    const both = problemsOf(managed(['  - id: draft', '    kind: model', '    prompt: support/reply', '    template: "Hi"']));
    expect(both.map((p) => p.message)).toEqual(['a model step takes a `prompt` or a `template`, not both']);
  });

  it('checks the expressions and review of model, classify and retrieve steps', () => {
    const problems = problemsOf(managed([
      '  - id: label', '    kind: classify', '    model: intents', '    text: "input.("', '    review: { role: reviewer, user: a@example.com }',
      '  - id: docs', '    kind: retrieve', '    query: "$nope("',
      '  - id: draft', '    kind: model', '    prompt: "Support/Reply@"', '    variables: "{"',
    ]));
    expect([...new Set(problems.map((p) => p.path.replace(/^w\.yaml:\d+:\d+ /, '')))].sort()).toEqual([
      'steps[0].review', 'steps[0].text', 'steps[1].query', 'steps[2].prompt', 'steps[2].variables',
    ]);
  });

  it('still checks the sound fields of a step that has a bad one', () => {
    const problems = problemsOf(managed(transform('a', ['    timeout: forever', '    next: nowhere'])));
    expect(problems.map((p) => p.path)).toEqual(['w.yaml:12:14 steps[0].timeout', 'w.yaml:13:11 steps[0].next']);
  });
});

describe('connector actions', () => {
  it('needs a connector for every action, and checks each JSONata input', () => {
    for (const action of ['write', 'http']) {
      const noConnector = problemsOf(managed(['  - id: save', '    kind: action', `    action: ${action}`, '    delivery: idempotent', '    with: { path: "\'a.md\'" }']));
      expect(noConnector.map((p) => [p.path, p.message])).toEqual([['w.yaml:9:5 steps[0].connector', 'missing required field "connector"']]);
    }
    const badExpression = problemsOf(managed(['  - id: save', '    kind: action', '    connector: kits', '    action: write', '    delivery: idempotent', '    with: { path: "steps.(" }']));
    expect(badExpression.map((p) => p.path).join()).toContain('with.path');
    expectValid(managed(['  - id: save', '    kind: action', '    connector: kits', '    action: write', '    delivery: idempotent', '    with: { path: "\'a.md\'", content: "input.text", mode: 420 }']));
  });
});
