// schema: the output (or the value at a path of it) is valid against a JSON Schema, with the same
// ajv settings Keel validates payloads with.
import type { ValidateFunction } from 'ajv';
import { KeelError } from '../../errors.js';
import { compileJsonSchema, validationProblems, type ScorerSpec } from '../../spec/index.js';
import { fail, pass, type ScorerCase, type ScorerDeps, type Verdict } from './types.js';
import { lookup } from './values.js';

// Every case of a run is checked against the same schema object, so each is compiled once.
const compiled = new WeakMap<Record<string, unknown>, ValidateFunction>();

export async function scoreSchema(name: string, spec: NonNullable<ScorerSpec['schema']>, c: ScorerCase, deps: ScorerDeps): Promise<Verdict> {
  const schema = spec.json_schema ?? deps.outputSchema;
  if (schema === undefined) {
    throw new KeelError('misconfigured', `Scorer "${name}" has no JSON Schema to check against.`, {
      hint: 'Give the scorer a json_schema, or run it where the workflow\'s output schema is known.',
    });
  }
  let validate = compiled.get(schema);
  if (validate === undefined) {
    try {
      validate = compileJsonSchema(schema);
    } catch (error) {
      // A json_schema in the file was checked at load; this is the output schema the runner passed.
      throw new KeelError('misconfigured', `Scorer "${name}": the JSON Schema does not compile: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    compiled.set(schema, validate);
  }
  let value = c.output;
  if (spec.path !== undefined) {
    const found = await lookup(spec.path, c.output, 'output');
    if (!found.found) return fail(found.detail);
    value = found.value;
  }
  if (validate(value)) return pass();
  const problems = validationProblems(validate, spec.path ?? 'output').slice(0, 5);
  return fail(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
}
