import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../spec/index.js';
import { declaredFlow } from './flow-graph.js';

const workflow = (steps: string) => parseWorkflow(`
id: graph-test
title: Graph test
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
${steps}`, 'graph-test.yaml');

const edgesOf = (steps: string) => declaredFlow(workflow(steps)).edges.map((e) => `${e.from} -> ${e.to}`);

const post = (id: string, extra = '') => `
  - id: ${id}
    kind: action
    connector: helpdesk
    action: send
    with: { method: '"POST"', path: '"/x"' }
    delivery: idempotent${extra}`;

describe('the declared flow of a workflow file', () => {
  it('has only the trigger when there is no version', () => {
    expect(declaredFlow(undefined)).toEqual({ nodes: [{ id: 'trigger', kind: 'trigger', label: 'Trigger' }], edges: [] });
  });

  it('puts the approval gate before the first action, where a person may also reject the run', () => {
    const flow = declaredFlow(workflow(`
  - id: shape
    kind: transform
    expression: '{ "a": 1 }'
${post('send')}`));
    expect(flow.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'trigger -> shape', 'shape -> approval', 'approval -> send', 'send -> end:succeeded', 'approval -> end:rejected',
    ]);
    expect(flow.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['trigger', 'trigger'], ['approval', 'approval'], ['shape', 'transform'], ['send', 'action'], ['end:succeeded', 'end'], ['end:rejected', 'end'],
    ]);
  });

  it('gates a first step that is an action, and lets a second action follow the first directly', () => {
    expect(edgesOf(`${post('first')}${post('second')}`)).toEqual([
      'trigger -> approval', 'approval -> first', 'first -> second', 'second -> end:succeeded', 'approval -> end:rejected',
    ]);
  });

  it('follows routes and ends a review rejected with nowhere to go as rejected', () => {
    const flow = declaredFlow(workflow(`
  - id: size
    kind: transform
    expression: '{ "big": input.amount > 100 }'
  - id: pick
    kind: route
    routes:
      - when: 'steps.size.big'
        to: check
    default: done
  - id: check
    kind: review
    title: Check the big one
    next: done
  - id: done
    kind: transform
    expression: '{ "ok": true }'`));
    expect(flow.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'trigger -> size', 'size -> pick', 'pick -> check', 'pick -> done', 'check -> done', 'check -> end:rejected', 'done -> end:succeeded',
    ]);
    expect(flow.nodes.find((n) => n.id === 'check')).toEqual({ id: 'check', kind: 'review', label: 'Check the big one' });
    expect(flow.nodes.some((n) => n.kind === 'approval')).toBe(false);
  });

  it('declares a move into an action both ways when the step before it is reached before and after an action', () => {
    expect(edgesOf(`
  - id: draft
    kind: transform
    expression: '{ "n": 1 }'
${post('send')}
  - id: again
    kind: route
    routes:
      - when: 'input.loop == true'
        to: draft
    default: end`)).toEqual([
      'trigger -> draft', 'draft -> approval', 'approval -> send', 'draft -> send', 'send -> again', 'again -> draft', 'again -> end:succeeded',
      'approval -> end:rejected',
    ]);
  });
});
