// Expressions a workflow file holds are evaluated, never executed as code: JSONata for transforms
// and payloads, CEL for conditions. Compiled forms are cached by their text (versions are immutable).
import jsonata from 'jsonata';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { KeelError } from '../errors.js';
import type { StepScope } from './types.js';

type Compiled = ReturnType<typeof jsonata>;
const jsonataCache = new Map<string, Compiled>();
type CelProgram = ReturnType<typeof plan>;
const celCache = new Map<string, CelProgram>();
const env = celEnv();

/** Evaluates a JSONata expression over the step scope. `where` names the field for error messages. */
export async function evaluateJsonata(expr: string, scope: StepScope, where: string): Promise<unknown> {
  let compiled = jsonataCache.get(expr);
  if (!compiled) {
    compiled = jsonata(expr);
    jsonataCache.set(expr, compiled);
  }
  try {
    const value: unknown = await compiled.evaluate(scope);
    return normalise(value);
  } catch (error) {
    const message = error && typeof error === 'object' && 'message' in error ? String(error.message) : String(error);
    throw new KeelError('step_failed', `${where}: JSONata evaluation failed: ${message}`, { retriable: false, cause: error });
  }
}

/** Evaluates a CEL condition to a boolean; a missing field or a non-boolean result is an error, not false. */
export function evaluateCondition(expr: string, scope: StepScope, where: string): boolean {
  let program = celCache.get(expr);
  if (!program) {
    program = plan(env, parse(expr));
    celCache.set(expr, program);
  }
  const result = program(scope as unknown as Record<string, never>);
  if (isCelError(result)) {
    throw new KeelError('step_failed', `${where}: CEL evaluation failed: ${result.message}`, { retriable: false });
  }
  if (typeof result !== 'boolean') {
    throw new KeelError('step_failed', `${where}: the condition must be true or false, got ${typeof result}.`, { retriable: false });
  }
  return result;
}

/** JSONata returns arrays with hidden markers and may return undefined; store plain JSON. */
function normalise(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
