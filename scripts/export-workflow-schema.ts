// Writes schema/workflow.schema.json from the zod schema, so editors get the same rules as the loader.
// Run with `npm run schema:json`; CI can diff the output to catch a schema change left unexported.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workflowJsonSchema } from '../src/spec/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'schema', 'workflow.schema.json');

await mkdir(dirname(target), { recursive: true });
await writeFile(target, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`, 'utf8');
console.log(`wrote ${target}`);
