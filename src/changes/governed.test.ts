import { describe, expect, it } from 'vitest';
import { parseWorkflow, type WorkflowSpec } from '../spec/index.js';
import { changedAreas, governedChanges, type GovernedSnapshot } from './governed.js';

const base = parseWorkflow(`
id: governed
title: Governed
owner: owner@example.com
description: Replies to tickets
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: tidy
    kind: transform
    expression: '{ "text": input.text }'
  - id: intent
    kind: classify
    model: intent-classifier
    text: steps.tidy.text
    min_confidence: 0.7
  - id: draft
    kind: model
    model: fast
    template: "Answer this:\\n{{ input.text }}\\nBe brief."
  - id: file
    kind: action
    connector: crm
    action: create_ticket
    with: { subject: steps.draft.text }
    delivery: idempotent
approval:
  rules:
    - when: 'confidence < 0.8'
      then: review
access:
  - connector: crm
    scopes: [tickets:write]
exclusions: [refunds]
budget: { per_run: { cost: 0.05 } }
runbook:
  change_approvers: [lead@example.com]
`, 'governed.yaml');

const snapshot = (edit: (spec: WorkflowSpec) => void = () => {}, library: Record<string, string> = {}): GovernedSnapshot => {
  const spec = structuredClone(base);
  edit(spec);
  return { definition: spec, library_versions: library };
};
const step = <K extends WorkflowSpec['steps'][number]['kind']>(spec: WorkflowSpec, id: string, _kind: K) =>
  spec.steps.find((s) => s.id === id) as Extract<WorkflowSpec['steps'][number], { kind: K }>;

describe('governed changes', () => {
  it('finds none between a version and itself', () => {
    expect(governedChanges(snapshot(), snapshot())).toEqual([]);
  });

  it('needs no request for a change outside the governed areas (description, transform expression, triggers, runbook text)', () => {
    const to = snapshot((s) => {
      s.description = 'Replies to every ticket';
      step(s, 'tidy', 'transform').expression = '{ "text": $trim(input.text) }';
      s.triggers = [{ manual: {} }, { webhook: {} }];
      s.runbook = { ...s.runbook!, rollback: 'keel rollback governed --stage production' };
      step(s, 'draft', 'model').description = 'the reply';
    });
    expect(governedChanges(snapshot(), to)).toEqual([]);
  });

  it('finds prompt changes: an inline template (with its changed lines), a library reference, an output schema', () => {
    const to = snapshot((s) => {
      const draft = step(s, 'draft', 'model');
      draft.template = 'Answer this:\n{{ input.text }}\nBe kind.';
      draft.output_schema = { type: 'object' };
    });
    const changes = governedChanges(snapshot(), to);
    expect(changes.map((c) => [c.area, c.path, c.change])).toEqual([
      ['prompts', 'steps[draft].output_schema', 'added'],
      ['prompts', 'steps[draft].template', 'changed'],
    ]);
    expect(changes[1]!.lines).toEqual([' {{ input.text }}', '-Be brief.', '+Be kind.']);

    const ref = snapshot((s) => {
      step(s, 'draft', 'model').prompt = 'support/reply@production';
    });
    expect(governedChanges(snapshot(), ref)).toEqual([
      { area: 'prompts', path: 'steps[draft].prompt', change: 'added', after: 'support/reply@production' },
    ]);
  });

  it('counts a new pinned library version as a prompt change, and files the entry\'s own fields by area', () => {
    const from = snapshot(() => {}, { 'support/reply@production': 'support/reply:aaa' });
    const to = snapshot(() => {}, { 'support/reply@production': 'support/reply:bbb' });
    expect(governedChanges(from, to)).toEqual([
      { area: 'prompts', path: 'library[support/reply@production]', change: 'changed', before: 'support/reply:aaa', after: 'support/reply:bbb' },
    ]);
    const library = {
      'support/reply:aaa': { name: 'support/reply', template: 'Hi', parameters: { temperature: 0.2 }, confidence_threshold: 0.8 },
      'support/reply:bbb': { name: 'support/reply', template: 'Hello', parameters: { temperature: 0.7 }, confidence_threshold: 0.6 },
    };
    expect(governedChanges(from, to, library).map((c) => [c.area, c.path])).toEqual([
      ['prompts', 'library[support/reply@production]'],
      ['prompts', 'library[support/reply@production].template'],
      ['model_settings', 'library[support/reply@production].parameters.temperature'],
      ['approval_boundary', 'library[support/reply@production].confidence_threshold'],
    ]);
  });

  it('finds model settings: a model step\'s or classifier\'s model, and the budget', () => {
    const to = snapshot((s) => {
      step(s, 'draft', 'model').model = 'smart';
      step(s, 'intent', 'classify').model = 'intent-classifier-v2';
      s.budget = { per_run: { cost: 0.5 } };
    });
    expect(governedChanges(snapshot(), to).map((c) => [c.area, c.path, c.before, c.after])).toEqual([
      ['model_settings', 'steps[intent].model', 'intent-classifier', 'intent-classifier-v2'],
      ['model_settings', 'steps[draft].model', 'fast', 'smart'],
      ['model_settings', 'budget.per_run.cost', 0.05, 0.5],
    ]);
  });

  it('finds grant changes in the access section, named by connector', () => {
    const to = snapshot((s) => {
      s.access = [{ connector: 'crm', scopes: ['tickets:write', 'tickets:delete'] }, { connector: 'slack', scopes: ['chat:post'] }];
    });
    expect(governedChanges(snapshot(), to).map((c) => [c.area, c.path, c.change])).toEqual([
      ['grants', 'access[crm].scopes[tickets:delete]', 'added'],
      ['grants', 'access[slack]', 'added'],
    ]);
  });

  it('finds approval boundary changes: rules, exclusions, risk and a step\'s confidence floor', () => {
    const to = snapshot((s) => {
      s.approval!.rules = [{ when: 'confidence < 0.5', then: 'review' }];
      s.exclusions = [];
      s.risk = 'low';
      step(s, 'intent', 'classify').min_confidence = 0.4;
    });
    const changes = governedChanges(snapshot(), to);
    expect(changes.map((c) => [c.area, c.path])).toEqual([
      ['approval_boundary', 'steps[intent].min_confidence'],
      ['approval_boundary', 'approval.rules[0].when'],
      ['approval_boundary', 'exclusions[refunds]'],
      ['approval_boundary', 'risk'],
    ]);
    expect(changedAreas(changes)).toEqual(['approval_boundary']);
  });

  it('sees a review step removed as a boundary change, and a removed model step in the areas it had', () => {
    const withReview = snapshot((s) => {
      s.steps.splice(3, 0, { id: 'check', kind: 'review', title: 'Check', on_reject: 'end', due: '24h', escalate_to: [], on_deadline: 'reject', quorum: 1, timeout: '30s', retry: { max_attempts: 3, backoff: '1s', max_backoff: '5m' } });
    });
    const without = snapshot((s) => {
      s.steps = s.steps.filter((x) => x.id !== 'draft');
    });
    expect(changedAreas(governedChanges(withReview, snapshot()))).toEqual(['approval_boundary']);
    expect(governedChanges(withReview, snapshot())[0]).toMatchObject({ path: 'steps[check]', change: 'removed' });
    expect(governedChanges(snapshot(), without).map((c) => [c.area, c.path, c.change])).toEqual([
      ['prompts', 'steps[draft]', 'removed'],
      ['model_settings', 'steps[draft]', 'removed'],
      ['approval_boundary', 'steps[draft]', 'removed'],
    ]);
  });
});
