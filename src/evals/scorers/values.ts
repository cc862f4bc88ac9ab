// Reading values out of a case and comparing them. Paths are JSONata, evaluated by the engine's
// evaluator (never executed as code). Strings are compared in Unicode NFC, so a label typed with a
// combining accent equals the same label typed precomposed: people see one text, so Keel does too.
import { evaluateJsonata } from '../../engine/index.js';
import { KeelError } from '../../errors.js';
import { canonicalJson } from '../../spec/index.js';

export type Lookup = { found: true; value: unknown } | { found: false; detail: string };

/**
 * The value at a JSONata path of `data` (the output or the expected value). Missing values and null
 * are "not found": JSONata cannot tell them apart once the result is plain JSON. An evaluation error
 * (e.g. arithmetic on a string) is a failed case, not a failed run: the data, not the file, is odd.
 */
export async function lookup(path: string, data: unknown, side: 'output' | 'expected'): Promise<Lookup> {
  let value: unknown;
  try {
    // The evaluator's scope type is the step scope; here the scope is the case's value itself.
    value = await evaluateJsonata(path, (data ?? null) as Parameters<typeof evaluateJsonata>[1], `${side} path ${path}`);
  } catch (error) {
    if (error instanceof KeelError) return { found: false, detail: error.message };
    throw error;
  }
  if (value === null) return { found: false, detail: `the ${side} has no value at ${path}` };
  return { found: true, value };
}

/** NFC-normalises every string (and object key) in a JSON value. */
export function normaliseText(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC');
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(normaliseText);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.normalize('NFC'), normaliseText(v)]));
}

/** Equal as JSON: key order ignored, types not coerced (1 is not "1"), strings compared in NFC. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(normaliseText(a ?? null)) === canonicalJson(normaliseText(b ?? null));
}

/** A short JSON rendering for failure details; long values are cut so a detail stays readable. */
export function shown(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "a string", "a number", "a list", ... for type-mismatch details. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? `a ${typeof value}` : typeof value;
}
