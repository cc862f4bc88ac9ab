import { describe, expect, it } from 'vitest';
import { createOutputChecker, extractJson, repairMessage } from './structured.js';

describe('extractJson', () => {
  it('reads the whole text, a fence, or the first balanced value inside prose', () => {
    expect(extractJson(' {"a":1} ')).toEqual({ ok: true, value: { a: 1 } });
    expect(extractJson('Here:\n```json\n[1, 2]\n```\nDone.')).toEqual({ ok: true, value: [1, 2] });
    expect(extractJson('```\n{"a":"b"}\n```')).toEqual({ ok: true, value: { a: 'b' } });
    expect(extractJson('The answer is {"note":"a } inside a string","n":[1,{"x":2}]}, I hope.')).toEqual({
      ok: true, value: { note: 'a } inside a string', n: [1, { x: 2 }] },
    });
  });

  it('skips a bracketed aside that is not JSON and finds the JSON after it', () => {
    expect(extractJson('Category {see below}: {"category":"bug"}')).toEqual({ ok: true, value: { category: 'bug' } });
  });

  it('reports text without JSON as not valid JSON', () => {
    const found = extractJson('I would say billing, probably.');
    expect(found.ok).toBe(false);
    if (!found.ok) expect(found.problem).toMatch(/^not valid JSON/);
  });
});

describe('createOutputChecker', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };

  it('lists every validation problem with its JSON path', () => {
    const check = createOutputChecker({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a', 'b'] })
      .check('{"a": 1}');
    expect(check).toEqual({ ok: false, empty: false, problems: ["(root): must have required property 'b'", '/a: must be string'] });
  });

  it('calls an empty or blank answer empty', () => {
    expect(createOutputChecker(schema).check('  \n')).toMatchObject({ ok: false, empty: true });
  });

  it('honours draft-07 schemas as the workflow spec does', () => {
    const draft7 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    expect(createOutputChecker(draft7).check('{"n": 2}')).toEqual({ ok: true, value: { n: 2 } });
  });

  it('refuses a schema with an unknown keyword rather than accepting anything', () => {
    expect(() => createOutputChecker({ type: 'object', propertes: {} })).toThrow(/not a valid JSON Schema/);
  });

  it('writes a repair message that lists the problems and asks for JSON only', () => {
    const text = repairMessage({ ok: false, empty: false, problems: ['/n: must be integer'] }, true);
    expect(text).toContain('- /n: must be integer');
    expect(text).toContain('corrected JSON only');
  });
});
