import { describe, expect, it } from 'vitest';
import { evalsSchema } from '../../spec/index.js';
import { casePassed, scoreCase, type ScorerCase } from './index.js';

/** Scorers as the loader gives them (defaults filled in), from the file's YAML-shaped objects. */
const scorers = (...list: Record<string, unknown>[]) => evalsSchema.parse({ scorers: list }).scorers;

async function one(scorer: Record<string, unknown>, c: ScorerCase) {
  const [result] = await scoreCase(scorers(scorer), c);
  return result!;
}

const decomposed = 'cafe\u0301'; // "café" with a combining accent
const precomposed = 'caf\u00e9';

describe('exact', () => {
  const exact = { name: 'exact', exact: {} };

  it('passes equal JSON whatever the key order, and fails a different value with both shown', async () => {
    expect(await one(exact, { output: { a: 1, b: [1, 2] }, expected: { b: [1, 2], a: 1 } })).toEqual({ scorer: 'exact', kind: 'exact', passed: true, score: 1 });
    expect(await one(exact, { output: { a: 1 }, expected: { a: 2 } })).toMatchObject({
      passed: false, score: 0, detail: 'the output {"a":1} differs from the expected {"a":2}',
    });
  });

  it('does not coerce types, treats a missing output as null, and compares text in NFC', async () => {
    expect((await one(exact, { output: 1, expected: '1' })).passed).toBe(false);
    expect((await one(exact, { output: undefined, expected: { a: 1 } })).passed).toBe(false);
    expect((await one(exact, { output: { name: decomposed }, expected: { name: precomposed } })).passed).toBe(true);
  });
});

describe('field', () => {
  const field = { name: 'intent', field: { path: 'classify.label', expected_path: 'label' } };

  it('compares the value at a path of the output with the value at a path of the expected value', async () => {
    expect((await one(field, { output: { classify: { label: 'card_arrival' } }, expected: { label: 'card_arrival' } })).passed).toBe(true);
    expect(await one(field, { output: { classify: { label: 'top_up' } }, expected: { label: 'card_arrival' } })).toMatchObject({
      passed: false, detail: 'classify.label is "top_up", expected "card_arrival"',
    });
  });

  it('fails a missing field, naming the side and path', async () => {
    expect(await one(field, { output: { classify: {} }, expected: { label: 'x' } })).toMatchObject({ passed: false, detail: 'the output has no value at classify.label' });
    expect(await one(field, { output: { classify: { label: 'x' } }, expected: {} })).toMatchObject({ passed: false, detail: 'the expected has no value at label' });
  });

  it('fails a type mismatch and passes Unicode written two ways', async () => {
    expect((await one({ name: 'n', field: { path: 'n' } }, { output: { n: 1 }, expected: { n: '1' } })).passed).toBe(false);
    expect((await one({ name: 'n', field: { path: 'n' } }, { output: { n: precomposed }, expected: { n: decomposed } })).passed).toBe(true);
  });

  it('turns an evaluation error in the data into a failed case, not a thrown error', async () => {
    const result = await one({ name: 'sum', field: { path: 'a + 1' } }, { output: { a: 'text' }, expected: { a: 2 } });
    expect(result.passed).toBe(false);
    expect(result.detail).toMatch(/JSONata evaluation failed/);
  });
});

describe('numeric', () => {
  const absolute = { name: 'total', numeric: { path: 'total', tolerance: 0.5 } };
  const relative = { name: 'total', numeric: { path: 'total', tolerance: 0.1, relative: true } };

  it('passes within an absolute tolerance and fails outside it', async () => {
    expect((await one(absolute, { output: { total: 10.5 }, expected: { total: 10 } })).passed).toBe(true);
    expect(await one(absolute, { output: { total: 10.6 }, expected: { total: 10 } })).toMatchObject({ passed: false, detail: expect.stringMatching(/^total is 10.6, expected 10 within 0.5/) });
  });

  it('passes within a relative tolerance and ignores float noise', async () => {
    expect((await one(relative, { output: { total: 109 }, expected: { total: 100 } })).passed).toBe(true);
    expect((await one(relative, { output: { total: 111 }, expected: { total: 100 } })).passed).toBe(false);
    expect((await one({ name: 'x', numeric: { path: 'x', tolerance: 0 } }, { output: { x: 0.1 + 0.2 }, expected: { x: 0.3 } })).passed).toBe(true);
  });

  it('fails a missing number and a numeric string', async () => {
    expect(await one(absolute, { output: {}, expected: { total: 1 } })).toMatchObject({ passed: false, detail: 'the output has no value at total' });
    expect(await one(absolute, { output: { total: '10' }, expected: { total: 10 } })).toMatchObject({ passed: false, detail: 'total is a string, not a number' });
  });
});

describe('regex', () => {
  const ticket = { name: 'ref', regex: { path: 'reply', pattern: 'ticket T-\\d{3}\\b', flags: 'i' } };

  it('passes a matching string and fails one that does not match', async () => {
    expect((await one(ticket, { output: { reply: 'See TICKET t-123, thanks' }, expected: null })).passed).toBe(true);
    expect(await one(ticket, { output: { reply: 'no reference' }, expected: null })).toMatchObject({ passed: false, detail: 'reply does not match /ticket T-\\d{3}\\b/i' });
  });

  it('fails a missing value and a non-string', async () => {
    expect((await one(ticket, { output: {}, expected: null })).detail).toBe('the output has no value at reply');
    expect((await one(ticket, { output: { reply: 123 }, expected: null })).detail).toBe('reply is a number, not a string');
  });

  it('matches Unicode text in NFC and with the u flag', async () => {
    const accent = { name: 'accent', regex: { path: 'city', pattern: `^Caf\u00e9 \\p{Emoji}$`, flags: 'u' } };
    expect((await one(accent, { output: { city: `${decomposed.replace('c', 'C')} ☕` }, expected: null })).passed).toBe(true);
  });
});

describe('contains', () => {
  it('finds a text in a string, by default with case', async () => {
    const hello = { name: 'greets', contains: { path: 'reply', value: 'Hello' } };
    expect((await one(hello, { output: { reply: 'Hello there' }, expected: null })).passed).toBe(true);
    expect(await one(hello, { output: { reply: 'hello there' }, expected: null })).toMatchObject({ passed: false, detail: 'reply does not contain "Hello"' });
  });

  it('ignores case when asked, in Unicode too', async () => {
    const street = { name: 's', contains: { path: 'text', value: 'ÉLAN', case_sensitive: false } };
    expect((await one(street, { output: { text: `un \u0065\u0301lan rare` }, expected: null })).passed).toBe(true);
  });

  it('reads the text from the expected value and looks it up in a list', async () => {
    const tag = { name: 'tag', contains: { path: 'tags', expected_path: 'tag' } };
    expect((await one(tag, { output: { tags: ['billing', 'urgent'] }, expected: { tag: 'urgent' } })).passed).toBe(true);
    expect(await one(tag, { output: { tags: ['billing'] }, expected: { tag: 'urgent' } })).toMatchObject({ passed: false, detail: 'tags does not hold "urgent"' });
  });

  it('fails a missing value and a value that is neither string nor list', async () => {
    const tag = { name: 'tag', contains: { path: 'tags', value: 'x' } };
    expect((await one(tag, { output: {}, expected: null })).detail).toBe('the output has no value at tags');
    expect((await one(tag, { output: { tags: 5 }, expected: null })).detail).toBe('tags is a number; contains needs a string or a list');
  });
});

describe('schema', () => {
  const shape = { name: 'shape', schema: { path: 'draft', json_schema: { type: 'object', required: ['reply'], properties: { reply: { type: 'string' } } } } };

  it('passes a valid value and lists what is wrong with an invalid one', async () => {
    expect((await one(shape, { output: { draft: { reply: 'ok' } }, expected: null })).passed).toBe(true);
    expect(await one(shape, { output: { draft: { reply: 5 } }, expected: null })).toMatchObject({ passed: false, detail: 'draft.reply: must be string' });
    expect(await one(shape, { output: { draft: {} }, expected: null })).toMatchObject({ passed: false, detail: "draft.reply: must have required property 'reply'" });
    expect(await one(shape, { output: {}, expected: null })).toMatchObject({ passed: false, detail: 'the output has no value at draft' });
  });

  it("uses the workflow's output schema when the scorer has none, and is misconfigured without either", async () => {
    const bare = scorers({ name: 'bare', schema: {} });
    const [result] = await scoreCase(bare, { output: { n: 'ü' }, expected: null }, { outputSchema: { type: 'object', properties: { n: { type: 'string', maxLength: 1 } } } });
    expect(result?.passed).toBe(true);
    await expect(scoreCase(bare, { output: {}, expected: null })).rejects.toMatchObject({ code: 'misconfigured', message: 'Scorer "bare" has no JSON Schema to check against.' });
  });
});

describe('scoreCase', () => {
  it('returns one result per scorer in order, and a case passes only when every scorer passed', async () => {
    const list = scorers({ name: 'a', exact: {} }, { name: 'b', field: { path: 'x' } });
    const results = await scoreCase(list, { output: { x: 1, y: 2 }, expected: { x: 1 } });
    expect(results.map((r) => [r.scorer, r.passed])).toEqual([['a', false], ['b', true]]);
    expect(casePassed(results)).toBe(false);
    expect(casePassed(results.slice(1))).toBe(true);
  });
});
