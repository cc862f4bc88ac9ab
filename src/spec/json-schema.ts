// The workflow format as JSON Schema, generated from the zod schema so editors (YAML language
// servers) validate and complete workflow files with exactly the rules the loader applies to shape.
import { z } from 'zod';
import { workflowSchema } from './schema.js';

/**
 * The JSON Schema (draft 2020-12) of a workflow file as people write it: fields with defaults are
 * optional. Semantic rules (references between steps, expression syntax) are not expressible here.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
