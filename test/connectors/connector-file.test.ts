// connectors/*.yaml on a real database: each file checked against its kind (every problem named by
// file and field), its secrets read from references only (KEEL_CONNECTOR_* variables or files) and
// sealed, a new version only when a value changed, and the values never stored in plain text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { connectorKinds, getConnector, listSecrets, loadConnectorFiles, parseConnectorFile, readSecret, secretKeyFromText, type SecretKey } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';

const hookFile = `id: partner-hook
kind: webhook
title: Partner notifications
owner: it@example.com
rotation_days: 30
config:
  url: https://partner.example.com/hooks/keel
  signing_secret: partner-signing
secrets:
  partner-signing: { env: KEEL_CONNECTOR_PARTNER_SIGNING }
`;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isKeelError(error)) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('connector files are checked before anything is stored', () => {
  it('names an unknown kind, a bad config field, a secret without a reference and a reference outside KEEL_CONNECTOR_*', () => {
    expect(problemsOf(() => parseConnectorFile(hookFile.replace('kind: webhook', 'kind: telepathy'), 'c.yaml', connectorKinds)).join()).toMatch(/c\.yaml kind: unknown kind; one of .*webhook/);
    expect(problemsOf(() => parseConnectorFile(hookFile.replace('url: https://partner.example.com/hooks/keel', 'url: 42'), 'c.yaml', connectorKinds)).join()).toContain('c.yaml config.url');
    expect(problemsOf(() => parseConnectorFile(hookFile.replace(/secrets:\n.*\n/, ''), 'c.yaml', connectorKinds)).join()).toContain('c.yaml secrets.partner-signing');
    expect(problemsOf(() => parseConnectorFile(hookFile.replace('KEEL_CONNECTOR_PARTNER_SIGNING', 'AWS_SECRET_ACCESS_KEY'), 'c.yaml', connectorKinds)).join()).toContain('KEEL_CONNECTOR_');
    // A value where a reference belongs is refused: files hold references only.
    expect(problemsOf(() => parseConnectorFile(hookFile.replace('partner-signing: { env: KEEL_CONNECTOR_PARTNER_SIGNING }', 'partner-signing: whsec_plainvalue'), 'c.yaml', connectorKinds)).join()).toContain('c.yaml secrets.partner-signing');
  });

  it('captures KEEL_CONNECTOR_* variables for connector files only, never for workflow files', () => {
    const config = loadConfig({ env: { KEEL_CONNECTOR_PARTNER_SIGNING: 'whsec_x', KEEL_WEBHOOK_SECRET: 'w' }, file: join(tmpdir(), 'none.yaml'), flags: {} });
    expect(config.connectorSecrets).toEqual({ KEEL_CONNECTOR_PARTNER_SIGNING: 'whsec_x' });
    expect(config.secrets).toEqual({ KEEL_WEBHOOK_SECRET: 'w' });
  });
});

describe.each(testDatabases())('loading connector files on $name', (database) => {
  let db: Db;
  let dir: string;
  let key: SecretKey;
  const errors: Array<Record<string, unknown>> = [];
  const signing = `whsec_${randomBytes(24).toString('base64')}`;
  const token = `crm-token-${randomBytes(12).toString('hex')}`;
  const load = (env: Record<string, string>) => loadConnectorFiles({
    db, kinds: connectorKinds, secretKey: key, env, logError: (message, facts) => errors.push({ message, ...facts }), logInfo: () => {},
  }, dir);

  beforeAll(async () => {
    db = await database.open();
    key = secretKeyFromText(randomBytes(32).toString('hex'), 'KEEL_SECRET_KEY');
    dir = mkdtempSync(join(tmpdir(), 'keel-connectors-'));
    writeFileSync(join(dir, 'partner-hook.yaml'), hookFile);
    writeFileSync(join(dir, 'crm-token'), `${token}\n`);
    writeFileSync(join(dir, 'crm.yaml'), `id: crm
kind: http
title: CRM
owner: sales-ops@example.com
config:
  base_url: https://crm.example.com/api
  auth: { type: bearer, token_secret: crm-token }
secrets:
  crm-token: { file: ${join(dir, 'crm-token')} }
`);
    writeFileSync(join(dir, 'broken.yaml'), 'id: broken\nkind: files\ntitle: Broken\nowner: a@example.com\nconfig: {}\n');
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves each good file with its sealed secrets, skips a bad one with its problems, and makes a version only when a value changes', async () => {
    const first = await load({ KEEL_CONNECTOR_PARTNER_SIGNING: signing });
    expect(first.loaded.sort()).toEqual(['crm', 'partner-hook']);
    expect(first.failed).toEqual([join(dir, 'broken.yaml')]);
    expect(JSON.stringify(errors)).toContain('config.root');
    expect((await getConnector(db, 'partner-hook')).rotation_days).toBe(30);
    expect(await readSecret(db, key, 'partner-hook', 'partner-signing')).toBe(signing);
    expect(await readSecret(db, key, 'crm', 'crm-token')).toBe(token);

    await load({ KEEL_CONNECTOR_PARTNER_SIGNING: signing });
    expect((await listSecrets(db, 'partner-hook')).map((s) => s.version)).toEqual([1]);
    const rotated = `whsec_${randomBytes(24).toString('base64')}`;
    await load({ KEEL_CONNECTOR_PARTNER_SIGNING: rotated });
    expect((await listSecrets(db, 'partner-hook')).map((s) => s.version)).toEqual([2]);
    expect(await readSecret(db, key, 'partner-hook', 'partner-signing')).toBe(rotated);

    // A variable that is not set leaves the connector and its last secret in place, and says which variable.
    errors.length = 0;
    await load({});
    expect(errors.filter((e) => e.file !== join(dir, 'broken.yaml'))).toEqual([expect.objectContaining({ connector: 'partner-hook', secret: 'partner-signing', variable: 'KEEL_CONNECTOR_PARTNER_SIGNING' })]);

    // Nothing stored or audited holds a value in plain text.
    const dump = await db.query<{ t: string }>(`SELECT string_agg(x::text, ' ') AS t FROM (SELECT config::text AS x FROM connectors UNION ALL SELECT data::text FROM audit_events UNION ALL SELECT coalesce(after::text, '') FROM audit_events) s`);
    for (const value of [signing, rotated, token]) expect(dump.rows[0]!.t).not.toContain(value);
  });
});
