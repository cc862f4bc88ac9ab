// The connectors table on a real database: created, updated only when something changed (each
// change audited), never changing kind, and ids checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConnector, listConnectors, saveConnector } from '../../src/connectors/connector-store.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';

describe.each(testDatabases())('the connectors table on $name', (database) => {
  let db: Db;
  beforeAll(async () => {
    db = await database.open();
  });
  afterAll(async () => {
    await db.close();
  });
  const def = { id: 'crm', kind: 'http', title: 'CRM', owner: 'sales-ops@example.com', config: { base_url: 'https://crm.example.com/api', auth: { type: 'bearer', token_secret: 'crm-token' } }, rotationDays: 90 };

  it('creates, then updates only on change, auditing each change', async () => {
    const created = await saveConnector(db, def, 'file', 'keel:startup');
    expect(created).toMatchObject({ changed: true, connector: { id: 'crm', kind: 'http', rotation_days: 90, allow_hosts: [], source: 'file' } });
    expect((await saveConnector(db, def, 'file', 'keel:startup')).changed).toBe(false);
    const moved = await saveConnector(db, { ...def, owner: 'revops@example.com', allowHosts: ['crm.internal:443'] }, 'file', 'keel:startup');
    expect(moved).toMatchObject({ changed: true, connector: { owner: 'revops@example.com', allow_hosts: ['crm.internal:443'] } });
    const { rows } = await db.query<{ action: string; before: { owner: string } | null }>(`SELECT action, before FROM audit_events WHERE subject_type = 'connector' ORDER BY id`);
    expect(rows.map((r) => r.action)).toEqual(['connector:created', 'connector:updated']);
    expect(rows[1]!.before!.owner).toBe('sales-ops@example.com');
    expect((await getConnector(db, 'crm')).owner).toBe('revops@example.com');
    expect((await listConnectors(db)).map((c) => c.id)).toEqual(['crm']);
  });

  it('refuses a change of kind and a bad id, and names a missing connector', async () => {
    const kind = await saveConnector(db, { ...def, kind: 'postgres' }, 'api', 'a').catch((e: unknown) => e);
    expect(isKeelError(kind) && kind.code).toBe('conflict');
    const id = await saveConnector(db, { ...def, id: '../etc' }, 'api', 'a').catch((e: unknown) => e);
    expect(isKeelError(id) && id.problems[0]!.path).toBe('id');
    const missing = await getConnector(db, 'nope').catch((e: unknown) => e);
    expect(isKeelError(missing) && missing.code).toBe('not_found');
  });
});
