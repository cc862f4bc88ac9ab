// Grants on a real database: asked once, decided once by the connector's owner (never by the one
// who asked), checked at every use (approved, unexpired), and every refused use audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGrant, decideGrant, listGrants, requestGrant, revokeGrant } from '../../src/connectors/grants.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';

const workflow = oneStepWorkflow('mailer', { title: 'Mailer' });

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isKeelError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.each(testDatabases())('grants on $name', (database) => {
  let db: Db;
  beforeAll(async () => {
    db = await database.open();
    await deploy(db, workflow);
    await db.query(`INSERT INTO connectors (id, kind, title, owner, source, created_by) VALUES ('helpdesk-mail', 'email', 'Helpdesk mail', 'it@example.com', 'api', 'test')`);
  });
  afterAll(async () => {
    await db.close();
  });
  const use = { workflowId: 'mailer', connectorId: 'helpdesk-mail', scope: 'email:send', runId: 'run_1', stepId: 'send' };

  it('refuses a use before any grant, audits it, and answers the same live request when asked twice', async () => {
    const denied = await refusal(checkGrant(db, use));
    expect(denied.code).toBe('permission_denied');
    expect(denied.message).toContain('never requested');
    const { rows } = await db.query<{ data: { why: string; scope: string } }>(`SELECT data FROM audit_events WHERE action = 'grant:denied' ORDER BY id DESC LIMIT 1`);
    expect(rows[0]!.data).toMatchObject({ scope: 'email:send', why: 'never requested' });

    const first = await requestGrant(db, { workflowId: 'mailer', connectorId: 'helpdesk-mail', scope: 'email:send', reason: 'replies to customers', actor: 'builder@example.com' });
    const again = await requestGrant(db, { workflowId: 'mailer', connectorId: 'helpdesk-mail', scope: 'email:send', actor: 'builder@example.com' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, grant: { id: first.grant.id } });
    expect((await refusal(checkGrant(db, use))).message).toContain('requested, not yet approved');
    expect((await refusal(requestGrant(db, { ...use, scope: 'send everything', actor: 'b' }))).code).toBe('invalid_input');
  });

  it('is decided by the owner only, never by the one who asked, once; then each use is counted', async () => {
    const [grant] = await listGrants(db, { connectorId: 'helpdesk-mail', status: 'requested' });
    expect((await refusal(decideGrant(db, { grantId: grant!.id, decision: 'approve', actor: 'someone@example.com', ownsConnector: false }))).code).toBe('permission_denied');
    expect((await refusal(decideGrant(db, { grantId: grant!.id, decision: 'approve', actor: 'builder@example.com', ownsConnector: true }))).message).toContain('own grant request');
    const approved = await decideGrant(db, { grantId: grant!.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    expect(approved.status).toBe('approved');
    expect((await refusal(decideGrant(db, { grantId: grant!.id, decision: 'reject', note: 'late', actor: 'it@example.com', ownsConnector: true }))).code).toBe('conflict');

    await checkGrant(db, use);
    const used = await checkGrant(db, use);
    expect(used.use_count).toBe(2);
    expect(used.last_used_at).not.toBeNull();
    // Another scope on the same connector is not covered.
    expect((await refusal(checkGrant(db, { ...use, scope: 'email:read' }))).code).toBe('permission_denied');
  });

  it('stops working when it expires or is revoked, and says which', async () => {
    const { grant } = await requestGrant(db, { workflowId: 'mailer', connectorId: 'helpdesk-mail', scope: 'email:read', actor: 'builder@example.com' });
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 60_000);
    expect(await refusal(decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true, expiresAt: new Date(now.getTime() - 1) }))).toMatchObject({ code: 'invalid_input' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true, expiresAt, now });
    await checkGrant(db, { ...use, scope: 'email:read', now });
    expect((await refusal(checkGrant(db, { ...use, scope: 'email:read', now: new Date(expiresAt.getTime() + 1) }))).message).toContain('expired');

    const send = (await listGrants(db, { connectorId: 'helpdesk-mail', status: 'approved' })).find((x) => x.scope === 'email:send');
    await revokeGrant(db, { grantId: send!.id, actor: 'it@example.com', ownsConnector: true, note: 'moved to the new mailbox' });
    expect((await refusal(checkGrant(db, use))).message).toContain('revoked');
    const actions = (await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'grant:%' ORDER BY id`)).rows.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['grant:requested', 'grant:approved', 'grant:revoked', 'grant:denied']));
  });

  it('needs a note to reject', async () => {
    const { grant } = await requestGrant(db, { workflowId: 'mailer', connectorId: 'helpdesk-mail', scope: 'email:delete', actor: 'builder@example.com' });
    expect((await refusal(decideGrant(db, { grantId: grant.id, decision: 'reject', actor: 'it@example.com', ownsConnector: true }))).code).toBe('invalid_input');
    const rejected = await decideGrant(db, { grantId: grant.id, decision: 'reject', note: 'no deleting mail', actor: 'it@example.com', ownsConnector: true });
    expect(rejected.status).toBe('rejected');
  });
});
