// The support-triage example deployed the way `npm start` deploys it: its two connector files
// (helpdesk, support-mail) loaded, the instruction library loaded, the workflow file deployed to
// production under its own file name, and the connector owners' standing grants applied.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { applyFileGrants, connectorKinds, loadConnectorFiles } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { loadLibraryFolder } from '../../src/prompts/index.js';
import { deployWorkflow } from '../../src/registry/index.js';
import { testSecretKey } from '../support/harness.js';

export const examplePath = 'workflows/support-triage.yaml';
export const exampleSource = (): string => readFileSync(examplePath, 'utf8');

/** A fixed clock well before the example's next_review (2027-03-01). */
export const packNow = new Date('2026-12-01T09:00:00Z');

export async function deployExample(db: Db, options: { source?: string; grants?: boolean } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-handoff-connectors-'));
  try {
    for (const name of ['helpdesk', 'support-mail']) copyFileSync(`connectors/${name}.yaml`, join(dir, `${name}.yaml`));
    const log = { logError: (message: string, facts: Record<string, unknown>) => expect.fail(`${message} ${JSON.stringify(facts)}`), logInfo() {} };
    const loaded = await loadConnectorFiles({ db, kinds: connectorKinds, secretKey: testSecretKey, env: {}, ...log }, dir);
    expect(loaded.failed).toEqual([]);
    const library = await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'test', logger: { info() {}, warn() {} } });
    expect(library.skipped).toEqual([]);
    await deployWorkflow(db, { source: options.source ?? exampleSource(), sourceName: examplePath, stage: 'production', actor: 'test' });
    if (options.grants !== false) await applyFileGrants(db, loaded.grants, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The example as it was before its owner map, failure modes and change approvers were written. */
export function exampleWithoutHandoffFields(): string {
  const text = exampleSource();
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('# The owner map of the handoff standard'));
  const end = lines.findIndex((l) => l.startsWith('# How a version is judged before promotion'));
  expect(start, 'the owner map block of the example').toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const stripped = [...lines.slice(0, start), ...lines.slice(end)].join('\n').replace(/\n {2}# Besides the owner[^\n]*\n[^\n]*\n {2}change_approvers: [^\n]*/, '');
  expect(stripped).not.toMatch(/change_approvers|failure_modes|owners:/);
  return stripped;
}
