// What a workflow file says about access, on a real database: deploy refuses a file whose actions
// name a missing connector or action, state a delivery class the action does not have, or need a
// scope `access` does not list (every problem named, nothing stored); a deployed file asks for its
// listed scopes once; and grants written in a connector file by its owner are applied after the
// workflows load, in the file's name, and taken back when the file stops listing them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFileGrants, connectorKinds, decideGrant, fileGrantActor, listGrants, parseConnectorFile, saveConnector,
} from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError, type FieldProblem } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';

const kitWriter = (options: { connector?: string; action?: string; delivery?: string; access?: string; title?: string } = {}) => `id: kit-writer
title: ${options.title ?? 'Kit writer'}
owner: people-ops@example.com
risk: low
triggers: [{ manual: {} }]
input: { type: object }
steps:
  - id: save
    kind: action
    connector: ${options.connector ?? 'kits'}
    action: ${options.action ?? 'write'}
    delivery: ${options.delivery ?? 'idempotent'}
    with: { path: '"a.md"', content: '"hello"' }
access:
${options.access ?? '  - { connector: kits, scopes: ["files:write"] }'}
`;

async function deployProblems(db: Db, yaml: string): Promise<Array<[string, string]>> {
  try {
    await deploy(db, yaml);
  } catch (error) {
    if (isKeelError(error) && error.code === 'invalid_workflow') return (error.problems ?? []).map((p: FieldProblem) => [p.path, p.message]);
    throw error;
  }
  throw new Error('expected the deploy to be refused');
}

describe.each(testDatabases())('workflow access on $name', (database) => {
  let db: Db;
  let root: string;
  beforeAll(async () => {
    db = await database.open();
    root = mkdtempSync(join(tmpdir(), 'keel-access-'));
    await saveConnector(db, { id: 'kits', kind: 'files', title: 'Welcome kits', owner: 'it@example.com', config: { root } }, 'api', 'it@example.com');
  });
  afterAll(async () => {
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a file whose actions or access do not match the connectors, naming every problem, and stores nothing', async () => {
    expect(await deployProblems(db, kitWriter({ connector: 'kitz' }))).toEqual([
      ['test.yaml steps[0].connector', 'no connector named "kitz"'],
    ]);
    expect(await deployProblems(db, kitWriter({ action: 'upload' }))).toEqual([
      ['test.yaml steps[0].action', 'Connector kits (files) has no action "upload".'],
    ]);
    expect(await deployProblems(db, kitWriter({ delivery: 'unsafe', access: '  - { connector: kits, scopes: ["files:read", "files:delete"] }\n  - { connector: crm, scopes: ["http:read"] }' }))).toEqual([
      ['test.yaml steps[0].delivery', 'kits.write is idempotent, not unsafe'],
      ['test.yaml steps[0]', 'kits.write needs the scope files:write, which access does not list'],
      ['test.yaml access[0].scopes[1]', 'files connectors have no scope files:delete'],
      ['test.yaml access[1].connector', 'no connector named "crm"'],
    ]);
    expect((await db.query('SELECT 1 FROM workflow_versions WHERE workflow_id = $1', ['kit-writer'])).rows).toEqual([]);
    expect(await listGrants(db, { workflowId: 'kit-writer' })).toEqual([]);
  });

  it('checks an email trigger: an email connector with a mailbox, and email:read listed', async () => {
    await saveConnector(db, { id: 'outbox', kind: 'email', title: 'Outbox', owner: 'it@example.com', config: { smtp: { host: 'smtp.example.com', port: 587, user: 'keel', password_secret: 'smtp', from: 'keel@example.com' } } }, 'api', 'it@example.com');
    const mailWorkflow = (connectors: string[]) => `id: mail-reader\ntitle: Mail reader\nowner: ops@example.com\nrisk: low\ninput: { type: object }\ntriggers:\n${connectors.map((c) => `  - email: { connector: ${c} }`).join('\n')}\nsteps:\n  - id: note\n    kind: transform\n    expression: '1'\n`;
    expect(await deployProblems(db, mailWorkflow(['inbox', 'kits', 'outbox']))).toEqual([
      ['test.yaml triggers[0].email.connector', 'no connector named "inbox"'],
      ['test.yaml triggers[1].email.connector', 'connector kits is of kind files; the email trigger needs an email connector'],
      ['test.yaml triggers[2].email.connector', 'connector outbox has no imap section, so there is no mailbox to read'],
      ['test.yaml triggers[2].email.connector', 'the email trigger reads outbox with the scope email:read, which access does not list'],
    ]);
  });

  it('asks for each listed scope when deployed, once, and again only when the file changes after a refusal', async () => {
    await deploy(db, kitWriter());
    await deploy(db, kitWriter());
    const [asked] = await listGrants(db, { workflowId: 'kit-writer' });
    expect(await listGrants(db, { workflowId: 'kit-writer' })).toHaveLength(1);
    expect(asked).toMatchObject({ connector_id: 'kits', scope: 'files:write', status: 'requested', requested_by: 'test', reason: 'listed under access in the workflow file' });

    await decideGrant(db, { grantId: asked!.id, decision: 'reject', note: 'use the shared drive', actor: 'it@example.com', ownsConnector: true });
    await deploy(db, kitWriter());
    expect((await listGrants(db, { workflowId: 'kit-writer', status: 'requested' }))).toEqual([]);
    await deploy(db, kitWriter({ title: 'Kit writer, second version' }));
    expect((await listGrants(db, { workflowId: 'kit-writer', status: 'requested' }))).toHaveLength(1);
  });

  it('applies the grants a connector file lists in its name, takes back what it stops listing, and leaves people\'s grants alone', async () => {
    const file = (grants: string) => parseConnectorFile(`id: kits\nkind: files\ntitle: Welcome kits\nowner: it@example.com\nconfig: { root: ${root} }\n${grants}`, 'connectors/kits.yaml', connectorKinds);
    const errors: unknown[] = [];
    const log = { logError: (message: string, facts: Record<string, unknown>) => errors.push({ message, facts }), logInfo() {} };
    // A person approved files:read before the file said anything about it.
    await deploy(db, kitWriter({ access: '  - { connector: kits, scopes: ["files:write", "files:read"] }' }));
    const read = (await listGrants(db, { workflowId: 'kit-writer', status: 'requested' })).find((g) => g.scope === 'files:read');
    await decideGrant(db, { grantId: read!.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });

    const fileActor = fileGrantActor('connectors/kits.yaml');
    const listed = file('grants:\n  - { workflow: kit-writer, scopes: ["files:write", "files:read"], expires: 2099-01-01 }\n  - { workflow: nobody, scopes: ["files:read"] }');
    const apply = (grants: typeof listed.grants) => applyFileGrants(db, [{ connectorId: 'kits', file: 'connectors/kits.yaml', grants }], log);
    expect(await apply(listed.grants)).toEqual({ approved: 1, revoked: 0 });
    expect(errors).toEqual([{ message: 'connector file grants a workflow that is not deployed; skipped', facts: { file: 'connectors/kits.yaml', workflow: 'nobody' } }]);
    const approved = await listGrants(db, { workflowId: 'kit-writer', status: 'approved' });
    expect(approved.map((g) => [g.scope, g.decided_by, g.expires_at === null ? null : new Date(g.expires_at).toISOString()])).toEqual([
      ['files:read', 'it@example.com', null], ['files:write', fileActor, '2099-01-01T00:00:00.000Z'],
    ]);
    // Applying the same file again changes nothing.
    expect(await apply(listed.grants)).toEqual({ approved: 0, revoked: 0 });

    // A file that lists nothing takes back its own grant only; the person's stays.
    expect(await apply(file('grants: []').grants)).toEqual({ approved: 0, revoked: 1 });
    const now = await listGrants(db, { workflowId: 'kit-writer' });
    expect(now.filter((g) => g.status === 'approved').map((g) => [g.scope, g.decided_by])).toEqual([['files:read', 'it@example.com']]);
    expect(now.find((g) => g.scope === 'files:write' && g.status === 'revoked')).toMatchObject({ decided_by: fileActor, decision_note: 'no longer listed in connectors/kits.yaml' });
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE actor = $1 ORDER BY id`, [fileActor]);
    expect(audit.rows.map((r) => r.action)).toEqual(['grant:approved', 'grant:revoked']);
  });

  it('refuses a connector file that grants a scope its kind does not have, naming where', () => {
    expect(() => parseConnectorFile(`id: kits\nkind: files\ntitle: K\nowner: it@example.com\nconfig: { root: ${root} }\ngrants:\n  - { workflow: kit-writer, scopes: ["http:write"] }\n`, 'connectors/kits.yaml', connectorKinds))
      .toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'connectors/kits.yaml grants[0].scopes[0]', message: expect.stringContaining('files connectors have no scope http:write') })] }));
  });
});
