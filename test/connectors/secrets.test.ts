// Connector secrets on a real database: versions, re-sync without a new version, rotation due
// dates, refusal under another instance key or after a row was tampered with, and a canary sweep
// that finds the stored value nowhere in plain, base64, hex or URL-encoded form.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/index.js';
import {
  listSecrets, putSecret, readSecret, secretKeyFromText, secretsDueForRotation, secretsSealedWithOtherKeys, type SecretKey,
} from '../../src/connectors/secrets/index.js';
import type { Db, Queryable } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';

const newKey = (): SecretKey => secretKeyFromText(randomBytes(32).toString('base64'), 'KEEL_SECRET_KEY');
const day = 24 * 3600 * 1000;

async function addConnector(db: Queryable, id: string, rotationDays: number | null = null): Promise<void> {
  await db.query(
    `INSERT INTO connectors (id, kind, title, owner, credential_owner, rotation_days, source, created_by)
     VALUES ($1, 'http', $2, 'ops@example.com', 'it@example.com', $3, 'api', 'test')`,
    [id, `Connector ${id}`, rotationDays],
  );
}

async function thrown(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Every form a leaked value could take in a column: raw, base64 (both alphabets), hex, URL-encoded. */
function leakForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [
    value, bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex'),
    encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, '+'),
  ];
}

/**
 * Searches every column of every table (cast to text, so bytea shows as hex and jsonb as JSON) for
 * any form of `value`, case-insensitively. Answers `table.column` for each hit.
 */
async function sweep(db: Queryable, value: string): Promise<string[]> {
  const columns = await db.query<{ table_schema: string; table_name: string; column_name: string }>(
    `SELECT c.table_schema, c.table_name, c.column_name
     FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1, 2, 3`,
  );
  expect(columns.rows.map((c) => c.table_name)).toEqual(expect.arrayContaining(['connector_secrets', 'audit_events', 'connectors']));
  const forms = leakForms(value).map((f) => f.toLowerCase());
  const hits: string[] = [];
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  for (const c of columns.rows) {
    const r = await db.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM ${q(c.table_schema)}.${q(c.table_name)}
       WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) f WHERE strpos(lower(${q(c.column_name)}::text), f) > 0)`,
      [forms],
    );
    if (Number(r.rows[0]?.n) > 0) hits.push(`${c.table_name}.${c.column_name}`);
  }
  return hits;
}

describe.each(testDatabases())('connector secrets on $name', (database) => {
  let db: Db;
  let key: SecretKey;
  beforeEach(async () => {
    db = await database.open();
    key = newKey();
    await addConnector(db, 'crm', 30);
  });
  afterEach(async () => {
    await db.close();
  });

  it('stores versions, reads the current one, and retires the previous one in the same change', async () => {
    expect(await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'first-value', actor: 'ana@example.com' }))
      .toMatchObject({ version: 1, created: true });
    expect(await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'second-value', actor: 'ana@example.com' }))
      .toMatchObject({ version: 2, created: true });
    expect(await readSecret(db, key, 'crm', 'token')).toBe('second-value');
    const rows = await db.query<{ version: number; retired: boolean }>(
      `SELECT version, retired_at IS NOT NULL AS retired FROM connector_secrets WHERE connector_id = 'crm' ORDER BY version`,
    );
    expect(rows.rows).toEqual([{ version: 1, retired: true }, { version: 2, retired: false }]);
    const events = (await listAudit(db, 'connector', 'crm')).filter((e) => e.action === 'secret:stored');
    expect(events.map((e) => e.data)).toEqual([
      { connector: 'crm', name: 'token', version: 1, previous_version: null, key_id: key.id, rotate_by: expect.any(String) },
      { connector: 'crm', name: 'token', version: 2, previous_version: 1, key_id: key.id, rotate_by: expect.any(String) },
    ]);
    expect(events.every((e) => e.actor === 'ana@example.com')).toBe(true);
  });

  it('makes no new version, and writes no event, when a sync stores the same value again', async () => {
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'same-value', actor: 'keel:sync' });
    expect(await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'same-value', actor: 'keel:sync' }))
      .toMatchObject({ version: 1, created: false });
    expect((await listAudit(db, 'connector', 'crm')).filter((e) => e.action === 'secret:stored')).toHaveLength(1);
    // The same value under a new instance key is sealed again, so it can be read with that key.
    const next = newKey();
    expect(await putSecret(db, next, { connectorId: 'crm', name: 'token', value: 'same-value', actor: 'keel:sync' }))
      .toMatchObject({ version: 2, created: true });
    expect(await readSecret(db, next, 'crm', 'token')).toBe('same-value');
  });

  it('sets the rotation date from the connector and reports secrets due, with who rotates them', async () => {
    await addConnector(db, 'mail');
    const before = Date.now();
    const stored = await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'v1', actor: 'ana@example.com' });
    expect(stored.rotate_by!.getTime()).toBeGreaterThanOrEqual(before + 30 * day - 60_000);
    expect(stored.rotate_by!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * day + 60_000);
    expect((await putSecret(db, key, { connectorId: 'mail', name: 'password', value: 'v1', actor: 'ana@example.com' })).rotate_by).toBeNull();
    expect((await putSecret(db, key, { connectorId: 'mail', name: 'short', value: 'v1', actor: 'ana@example.com', rotationDays: 7 })).rotate_by)
      .not.toBeNull();

    expect(await secretsDueForRotation(db, new Date())).toEqual([]);
    const due = await secretsDueForRotation(db, new Date(Date.now() + 31 * day));
    expect(due.map((s) => [s.connector_id, s.name, s.owner, s.credential_owner])).toEqual([
      ['mail', 'short', 'ops@example.com', 'it@example.com'], ['crm', 'token', 'ops@example.com', 'it@example.com'],
    ]);
    const listed = await listSecrets(db, 'crm', new Date(Date.now() + 31 * day));
    expect(listed).toEqual([{
      connector_id: 'crm', name: 'token', version: 1, created_at: expect.any(Date), created_by: 'ana@example.com',
      rotate_by: stored.rotate_by, rotation_due: true, key_id: key.id,
    }]);
    expect((await listSecrets(db)).map((s) => `${s.connector_id}/${s.name}:${String(s.rotation_due)}`)).toEqual(['crm/token:false', 'mail/password:false', 'mail/short:false']);
    // A new value starts a new rotation period.
    const rotated = await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'v2', actor: 'ana@example.com' });
    expect(rotated.rotate_by!.getTime()).toBeGreaterThan(stored.rotate_by!.getTime());
    expect((await secretsDueForRotation(db, new Date(Date.now() + 10 * day))).map((s) => `${s.connector_id}/${s.name}`)).toEqual(['mail/short']);
  });

  it('refuses a secret sealed with another instance key, and a missing one, naming connector and secret', async () => {
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'kept-value', actor: 'ana@example.com' });
    const other = newKey();
    const wrongKey = await thrown(readSecret(db, other, 'crm', 'token'));
    expect(isKeelError(wrongKey, 'misconfigured')).toBe(true);
    expect(wrongKey.message).toBe(`Secret token of connector crm was sealed with another instance key (key id ${key.id}; this Keel runs with ${other.id}).`);
    expect(await secretsSealedWithOtherKeys(db, other.id)).toBe(1);
    expect(await secretsSealedWithOtherKeys(db, key.id)).toBe(0);
    const missing = await thrown(readSecret(db, key, 'crm', 'password'));
    expect(isKeelError(missing, 'misconfigured')).toBe(true);
    expect(missing.message).toBe('Connector crm has no secret named password.');
    expect(isKeelError(await thrown(putSecret(db, key, { connectorId: 'nope', name: 'token', value: 'x', actor: 'a' })), 'not_found')).toBe(true);
  });

  it('refuses a sealed value copied onto another row', async () => {
    await addConnector(db, 'mail');
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: 'crm-value', actor: 'ana@example.com' });
    await putSecret(db, key, { connectorId: 'mail', name: 'token', value: 'mail-value', actor: 'ana@example.com' });
    // Someone with write access to the table moves crm's sealed value onto mail's row.
    await db.query(
      `UPDATE connector_secrets m SET iv = c.iv, ciphertext = c.ciphertext, tag = c.tag
       FROM connector_secrets c WHERE m.connector_id = 'mail' AND c.connector_id = 'crm'`,
    );
    const error = await thrown(readSecret(db, key, 'mail', 'token'));
    expect(isKeelError(error, 'internal')).toBe(true);
    expect(error.message).toContain('Secret token of connector mail (version 1) failed its integrity check');
    expect(error.message).not.toContain('crm-value');
    expect(await readSecret(db, key, 'crm', 'token')).toBe('crm-value');
  });

  it('leaves no trace of a stored value in any column of any table, audit events included', async () => {
    const canary = `keel-canary-${randomBytes(12).toString('hex')} /+=&?é`;
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: canary, actor: 'ana@example.com' });
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: `${canary}-rotated`, actor: 'ana@example.com' });
    await putSecret(db, key, { connectorId: 'crm', name: 'token', value: `${canary}-rotated`, actor: 'keel:sync' });
    expect(await readSecret(db, key, 'crm', 'token')).toBe(`${canary}-rotated`);
    expect((await listAudit(db, 'connector', 'crm')).length).toBeGreaterThan(0);
    expect(await sweep(db, canary)).toEqual([]);
    // Errors about the secret carry none of it either.
    const error = await thrown(readSecret(db, newKey(), 'crm', 'token'));
    expect(JSON.stringify({ m: error.message, e: error })).not.toContain('canary');
  });

  it('finds a planted copy in any of its forms (the sweep itself works)', async () => {
    const canary = `keel-canary-${randomBytes(12).toString('hex')} /+=&?é`;
    const [, base64, , , hex, urlEncoded] = leakForms(canary);
    await addConnector(db, 'planted');
    await db.query(`UPDATE connectors SET config = $1::jsonb, credential_owner = $2, allow_hosts = ARRAY[$3] WHERE id = 'planted'`,
      [JSON.stringify({ note: base64 }), hex!.toUpperCase(), urlEncoded]);
    expect(await sweep(db, canary)).toEqual(['connectors.allow_hosts', 'connectors.config', 'connectors.credential_owner']);
  });
});
