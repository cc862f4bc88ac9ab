// Compile-time checks for the small languages a workflow embeds. Each returns a problem message or
// undefined; nothing here evaluates user text, it only parses it (no eval, no new Function).
import { parse as parseCel } from '@bufbuild/cel';
import { Cron } from 'croner';
import jsonata from 'jsonata';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** A CEL syntax error as "at 1:7: ...", or undefined when the expression parses. */
export function celProblem(expr: string): string | undefined {
  try {
    parseCel(expr);
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return `CEL syntax error ${text.replace(/^<input>:(\d+:\d+):\s*/, 'at $1: ')}`;
  }
}

/** A JSONata syntax error with its character position, or undefined when the expression compiles. */
export function jsonataProblem(expr: string): string | undefined {
  try {
    jsonata(expr);
    return undefined;
  } catch (error) {
    if (error !== null && typeof error === 'object' && 'message' in error) {
      const position = 'position' in error && typeof error.position === 'number' ? ` at character ${error.position}` : '';
      return `JSONata syntax error${position}: ${String(error.message)}`;
    }
    return `JSONata syntax error: ${String(error)}`;
  }
}

export function cronProblem(expr: string): string | undefined {
  try {
    // paused: a job object is needed to parse the pattern, but it must never schedule anything.
    new Cron(expr, { paused: true }).stop();
    return undefined;
  } catch (error) {
    return `invalid cron expression: ${(error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '')}`;
  }
}

export function timezoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone "${zone}"`;
  }
}

/**
 * Compiles a JSON Schema with the same settings Keel validates payloads with. Draft 2020-12 unless
 * the schema names draft-07 (or older) in `$schema`. Unknown keywords are errors because in a
 * hand-written contract they are almost always typos (`propertes`) that would silently accept anything.
 */
export function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  return createAjv(schema).compile(schema);
}

/**
 * The failures of the last validation as field problems under `root` (`input.customer_email`,
 * `output.label`), a missing property named at its own path.
 */
export function validationProblems(validate: ValidateFunction, root: string): { path: string; message: string }[] {
  return (validate.errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
    return { path: `${root}${(e.instancePath + missing).replaceAll('/', '.')}`, message: e.message ?? 'is invalid' };
  });
}

function createAjv(schema: Record<string, unknown>): Ajv {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  const options = { allErrors: true, strict: false, strictSchema: true, validateFormats: false };
  return /draft-0[4-7]/.test(declared) ? new Ajv(options) : new Ajv2020(options);
}

/** Problems with a JSON Schema, each with the path inside the schema where it was found. */
export function jsonSchemaProblems(schema: Record<string, unknown>): { path: string[]; message: string }[] {
  const ajv = createAjv(schema);
  let valid: boolean;
  try {
    valid = ajv.validateSchema(schema) === true;
  } catch (error) {
    return [{ path: [], message: `not a valid JSON Schema: ${errorText(error)}` }];
  }
  if (!valid) {
    // The meta-schema reports each bad spot several ways (enum, then anyOf); the first per spot is the clearest.
    const seen = new Map<string, string>();
    for (const e of ajv.errors ?? []) if (!seen.has(e.instancePath)) seen.set(e.instancePath, e.message ?? 'is invalid');
    return [...seen].map(([pointer, message]) => ({
      path: pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')),
      message: `not a valid JSON Schema: ${pointer.split('/').pop() || 'schema'} ${message}`,
    }));
  }
  try {
    ajv.compile(schema);
    return [];
  } catch (error) {
    return [{ path: [], message: `not a valid JSON Schema: ${errorText(error).replace(/^strict mode:\s*/, '')}` }];
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
