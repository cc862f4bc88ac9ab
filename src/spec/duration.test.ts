import { describe, expect, it } from 'vitest';
import { isKeelError } from '../errors.js';
import { canonicalJson, parseDuration } from './index.js';

describe('parseDuration', () => {
  it('reads every unit as milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('4h')).toBe(14_400_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it.each(['', '5', '1.5s', '-1s', '5 s', '1h30m', '2w', 'soon'])('rejects %j with invalid_input', (text) => {
    let caught: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'invalid_input')).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('gives the same string whatever the key order', () => {
    const a = { b: 1, a: { d: [3, { y: 1, x: 2 }], c: 'x' } };
    const b = { a: { c: 'x', d: [3, { x: 2, y: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":"x","d":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('leaves out undefined fields but keeps list order', () => {
    expect(canonicalJson({ a: undefined, b: [2, 1] })).toBe('{"b":[2,1]}');
  });
});
