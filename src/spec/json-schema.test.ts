import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { workflowJsonSchema } from './index.js';

const schemaFile = fileURLToPath(new URL('../../schema/workflow.schema.json', import.meta.url));
const fixture = (name: string) => parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8'));

describe('workflowJsonSchema', () => {
  const validate = new Ajv2020({ strict: false }).compile(workflowJsonSchema());

  it('accepts the example workflows editors will see', () => {
    expect(validate(fixture('support-triage.yaml')), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(fixture('n8n-invoices.yaml')), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects unknown fields and missing required ones, like the loader', () => {
    expect(validate({ ...fixture('n8n-invoices.yaml'), colour: 'blue' })).toBe(false);
    const { owner: _owner, ...withoutOwner } = fixture('n8n-invoices.yaml') as Record<string, unknown>;
    expect(validate(withoutOwner)).toBe(false);
  });

  it('matches the exported schema/workflow.schema.json (run `npm run schema:json` after a change)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
  });
});
