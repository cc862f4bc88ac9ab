// Structured output: asking for JSON, finding it in what the model said, checking it against the
// step's output schema, and the one repair request that lists what was wrong. Models wrap JSON in
// prose or code fences often enough that a strict parse alone would waste a paid answer.

import type { ValidateFunction } from 'ajv';
import { KeelError } from '../errors.js';
import { compileJsonSchema } from '../spec/index.js';

/** The verdict on one answer: its parsed value, or the problems to send back in a repair. */
export type AnswerCheck =
  | { ok: true; value: unknown }
  | { ok: false; empty: boolean; problems: string[] };

export interface OutputChecker {
  check(text: string): AnswerCheck;
  /** The system prompt's addition that asks for JSON matching the schema. */
  instruction: string;
}

// Schemas come from prompt files and are reused by every run of a step, so each is compiled once.
const compiled = new WeakMap<Record<string, unknown>, ValidateFunction>();

/** Compiles the schema with the same ajv settings the workflow spec validates payloads with. */
export function createOutputChecker(schema: Record<string, unknown>): OutputChecker {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    try {
      validate = compileJsonSchema(schema);
    } catch (error) {
      throw new KeelError('invalid_input', `The output schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'Fix the prompt\'s output schema; `keel validate` reports the offending keyword.',
      });
    }
    compiled.set(schema, validate);
  }
  const check = (text: string): AnswerCheck => {
    if (text.trim() === '') return { ok: false, empty: true, problems: ['(root): the answer was empty'] };
    const found = extractJson(text);
    if (!found.ok) return { ok: false, empty: false, problems: [`(root): ${found.problem}`] };
    if (validate(found.value)) return { ok: true, value: found.value };
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'is invalid'}`);
    return { ok: false, empty: false, problems: [...new Set(problems)].slice(0, 20) };
  };
  return { check, instruction: jsonInstruction(schema) };
}

function jsonInstruction(schema: Record<string, unknown>): string {
  return [
    'Answer with JSON only: no prose, no explanation, no code fence.',
    'The JSON must match this JSON Schema:',
    JSON.stringify(schema),
  ].join('\n');
}

/** The user message of a repair attempt: what was wrong, and what to send instead. */
export function repairMessage(check: Extract<AnswerCheck, { ok: false }>, structured: boolean): string {
  if (check.empty) {
    return structured
      ? 'Your previous answer was empty. Answer again with the JSON only, matching the schema.'
      : 'Your previous answer was empty. Please answer again.';
  }
  return [
    'Your previous answer does not match the required JSON Schema. Problems (JSON path: problem):',
    ...check.problems.map((p) => `- ${p}`),
    'Reply with the corrected JSON only: no prose, no explanation, no code fence.',
  ].join('\n');
}

/**
 * Finds the JSON in an answer: the whole text, else the first ```json (or bare ```) fence, else
 * the first balanced {...} or [...] inside prose that parses.
 */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const whole = tryParse(text.trim());
  if (whole.ok) return whole;
  for (const match of text.matchAll(/```(?:json|JSON)?[ \t]*\r?\n?([\s\S]*?)```/g)) {
    const fenced = tryParse((match[1] ?? '').trim());
    if (fenced.ok) return fenced;
  }
  for (let start = 0; start < text.length; start++) {
    const ch = text[start];
    if (ch !== '{' && ch !== '[') continue;
    const end = balancedEnd(text, start);
    if (end === -1) continue;
    const inner = tryParse(text.slice(start, end + 1));
    if (inner.ok) return inner;
  }
  return { ok: false, problem: `not valid JSON (${whole.problem})` };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Index of the bracket closing the one at `start`, skipping brackets inside strings; -1 if none. */
function balancedEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}
