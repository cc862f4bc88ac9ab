import { describe, expect, it } from 'vitest';
import { evalsSchema } from '../../spec/index.js';
import { aggregate, scoreCase, type ScoreResult } from './index.js';

const [intent] = evalsSchema.parse({ scorers: [{ name: 'intent', label: { path: 'classify.label', expected_path: 'label' } }] }).scorers;
const score = async (output: unknown, expected: unknown): Promise<ScoreResult> => (await scoreCase([intent!], { output, expected }))[0]!;

describe('label scorer, per case', () => {
  it('is right when the labels are equal and wrong otherwise, keeping both labels', async () => {
    expect(await score({ classify: { label: 'card_arrival' } }, { label: 'card_arrival' })).toEqual({
      scorer: 'intent', kind: 'label', passed: true, score: 1, label: { predicted: 'card_arrival', expected: 'card_arrival' },
    });
    expect(await score({ classify: { label: 'top_up' } }, { label: 'card_arrival' })).toMatchObject({
      passed: false, detail: 'labelled "top_up", expected "card_arrival"', label: { predicted: 'top_up', expected: 'card_arrival' },
    });
  });

  it('counts a missing or non-string label as no prediction', async () => {
    expect(await score({ classify: {} }, { label: 'a' })).toMatchObject({ passed: false, detail: 'the output has no value at classify.label', label: { predicted: null, expected: 'a' } });
    expect(await score({ classify: { label: 7 } }, { label: '7' })).toMatchObject({ passed: false, detail: 'the label at classify.label is a number, not a string', label: { predicted: null } });
  });

  it('fails a case without an expected label', async () => {
    expect(await score({ classify: { label: 'a' } }, {})).toMatchObject({ passed: false, detail: 'the expected has no value at label', label: { expected: null } });
  });

  it('treats the same label in two Unicode forms as one', async () => {
    expect((await score({ classify: { label: 'r\u00e9sum\u00e9' } }, { label: 're\u0301sume\u0301' })).passed).toBe(true);
    expect((await score({ classify: { label: '🚀 launch' } }, { label: '🚀 launch' })).passed).toBe(true);
  });
});

describe('label metrics over a run', () => {
  // expected -> predicted, hand-counted:
  //   a: a a a b (none)   b: b b c   c: c a
  const rows: Array<[string, string | null]> = [
    ['a', 'a'], ['a', 'a'], ['a', 'a'], ['a', 'b'], ['a', null],
    ['b', 'b'], ['b', 'b'], ['b', 'c'],
    ['c', 'c'], ['c', 'a'],
  ];

  it('gives accuracy, per-label precision/recall/F1, macro-F1 and the confusion counts', async () => {
    const results = await Promise.all(rows.map(([expected, predicted]) =>
      scoreCase([intent!], { output: { classify: predicted === null ? {} : { label: predicted } }, expected: { label: expected } })));
    const [summary] = aggregate([intent!], results);

    expect(summary).toMatchObject({ scorer: 'intent', kind: 'label', cases: 10, passed: 6, passRate: 0.6, meanScore: 0.6 });
    const metrics = summary!.label!;
    expect(metrics.cases).toBe(10);
    expect(metrics.accuracy).toBe(0.6);
    // a: TP 3, predicted 4 (3 + c->a), support 5 -> P 3/4, R 3/5, F1 2PR/(P+R) = 0.9/1.35
    expect(metrics.perLabel.a).toEqual({ precision: 0.75, recall: 0.6, f1: expect.closeTo(2 / 3, 10), support: 5, predicted: 4 });
    // b: TP 2, predicted 3 (2 + a->b), support 3
    expect(metrics.perLabel.b).toEqual({ precision: expect.closeTo(2 / 3, 10), recall: expect.closeTo(2 / 3, 10), f1: expect.closeTo(2 / 3, 10), support: 3, predicted: 3 });
    // c: TP 1, predicted 2 (1 + b->c), support 2
    expect(metrics.perLabel.c).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2 });
    expect(metrics.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 0.5) / 3, 10);
    expect(metrics.confusion).toEqual([
      { expected: 'a', predicted: null, count: 1 },
      { expected: 'a', predicted: 'a', count: 3 },
      { expected: 'a', predicted: 'b', count: 1 },
      { expected: 'b', predicted: 'b', count: 2 },
      { expected: 'b', predicted: 'c', count: 1 },
      { expected: 'c', predicted: 'a', count: 1 },
      { expected: 'c', predicted: 'c', count: 1 },
    ]);
  });

  it('counts a label only ever predicted with precision 0, and zero divisions as 0', async () => {
    const results = await Promise.all([['a', 'x'], ['a', 'a']].map(([expected, predicted]) =>
      scoreCase([intent!], { output: { classify: { label: predicted } }, expected: { label: expected } })));
    const metrics = aggregate([intent!], results)[0]!.label!;
    expect(metrics.perLabel.x).toEqual({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    expect(metrics.perLabel.a).toMatchObject({ precision: 1, recall: 0.5 });
    expect(metrics.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 10);
  });

  it('leaves cases without an expected label out of the metrics, and handles an empty run', () => {
    const summary = aggregate([intent!], [[{ scorer: 'intent', kind: 'label', passed: false, score: 0, label: { predicted: 'a', expected: null } }], []]);
    expect(summary[0]).toMatchObject({ cases: 1, passed: 0, passRate: 0, label: { cases: 0, accuracy: 0, macroF1: 0, perLabel: {}, confusion: [] } });
    expect(aggregate([intent!], [])[0]).toMatchObject({ cases: 0, passRate: 0, meanScore: 0 });
  });

  it('counts a label named __proto__ like any other', async () => {
    const results = [await scoreCase([intent!], { output: { classify: { label: '__proto__' } }, expected: { label: '__proto__' } })];
    const metrics = aggregate([intent!], results)[0]!.label!;
    expect(Object.keys(metrics.perLabel)).toEqual(['__proto__']);
    expect(metrics.accuracy).toBe(1);
  });
});
