// `keel connectors` and `keel access ...` against a real Keel over loopback HTTP: a builder asks for a
// grant, the connector's owner approves it (the asker cannot), and the inventory shows it as a
// table, JSON and Markdown, flagging a grant unused for 30 days and a secret due for rotation; a
// connector configured from a file with `keel connectors apply` and its secret stored from stdin.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConnector } from '../../src/connectors/connector-store.js';
import { putSecret, secretKeyFromText } from '../../src/connectors/index.js';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let builder: TestIdentity;
let owner: TestIdentity;
const secretValue = `canary-${randomBytes(12).toString('hex')}`;
const as = (who: { token: string }) => (...argv: string[]) => runCli(argv, { KEEL_URL: server.url, KEEL_TOKEN: who.token });

beforeAll(async () => {
  server = await startTestKeel();
  builder = await createTestIdentity(server.keel.db, ['builder']);
  owner = await createTestIdentity(server.keel.db, ['viewer'], 'mail-owner@example.com');
  await saveConnector(server.keel.db, {
    id: 'helpdesk-mail', kind: 'email', title: 'Helpdesk mail', owner: owner.email, credentialOwner: 'it@example.com', rotationDays: 30,
    config: { smtp: { host: 'smtp.example.com', port: 587, user: 'helpdesk', password_secret: 'smtp-password' }, from: 'help@example.com' },
  }, 'api', 'test');
  const key = secretKeyFromText(randomBytes(32).toString('hex'), 'test');
  await putSecret(server.keel.db, key, { connectorId: 'helpdesk-mail', name: 'smtp-password', value: secretValue, actor: 'test' });
});
afterAll(async () => {
  await server.stop();
});

describe('keel connectors and keel access', () => {
  it('lists and shows connectors with scopes and secret names, never the value', async () => {
    const list = await as(builder)('connectors');
    expect(list.code, list.stderr).toBe(0);
    expect(list.out[0]).toMatch(/^ID\s+KIND\s+OWNER\s+CREDENTIAL OWNER\s+ROTATION\s+SCOPES\s+TITLE$/);
    expect(list.stdout).toMatch(/helpdesk-mail\s+email\s+mail-owner@example\.com\s+it@example\.com\s+-\s+email:send,email:read|helpdesk-mail\s+email\s+mail-owner@example\.com\s+it@example\.com\s+-\s+email:read,email:send/);
    const show = await as(builder)('connectors', 'show', 'helpdesk-mail');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('smtp-password');
    expect(show.stdout).toMatch(/email:send\s+\S+\s+yes/);
    expect(show.stdout + (await as(builder)('connectors', '--json')).stdout).not.toContain(secretValue);
    expect((await as(builder)('connectors', 'show', 'nope')).code).toBe(1);
  });

  it('requests as a builder, is refused to the asker, approved by the owner, and shown in the inventory', async () => {
    const bad = await as(builder)('access', 'request', 'triage', 'helpdesk-mail', 'slack:post');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('email:read, email:send');
    const asked = await as(builder)('access', 'request', 'triage', 'helpdesk-mail', 'email:send', '--reason', 'replies', '--json');
    expect(asked.code, asked.stderr).toBe(0);
    const grant = parseJson<{ created: boolean; grant: { id: string } }>(asked);
    expect(grant.created).toBe(true);

    const byAsker = await as(builder)('access', 'approve', grant.grant.id);
    expect(byAsker.code).toBe(1);
    expect(byAsker.stderr).toContain('owner of connector helpdesk-mail');
    expect((await as(owner)('access', 'reject', grant.grant.id)).code).toBe(2);
    const approved = await as(owner)('access', 'approve', grant.grant.id, '--expires-days', '30', '--note', 'fine');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.out[0]).toMatch(new RegExp(`^grant ${grant.grant.id} approved: triage may use email:send of helpdesk-mail until \\d{4}-`));

    const grants = await as(builder)('access', 'grants', '--connector', 'helpdesk-mail', '--status', 'approved');
    expect(grants.code).toBe(0);
    expect(grants.stdout).toMatch(/triage\s+helpdesk-mail\s+email:send\s+approved\s+mail-owner@example\.com/);
    expect((await as(builder)('access', 'grants', '--status', 'bogus')).code).toBe(2);

    // Approved 31 days ago and never used; the secret's rotation date has passed; one request open.
    await server.keel.db.query(`UPDATE grants SET decided_at = now() - interval '31 days' WHERE id = $1`, [grant.grant.id]);
    await server.keel.db.query(`UPDATE connector_secrets SET rotate_by = now() - interval '1 day' WHERE connector_id = 'helpdesk-mail'`);
    await as(builder)('access', 'request', 'triage', 'helpdesk-mail', 'email:read');

    const inv = await as(builder)('access', 'inventory');
    expect(inv.code, inv.stderr).toBe(0);
    expect(inv.out[0]).toBe('helpdesk-mail (email) Helpdesk mail');
    expect(inv.out[1]).toBe('  owner mail-owner@example.com; credential owner it@example.com; ROTATION DUE (smtp-password)');
    expect(inv.stdout).toMatch(/triage\s+email:send\s+\S+ \S+\s+never\s+0\s+UNUSED 30d/);
    expect(inv.stdout).toMatch(/open grant requests[^\n]*\n.*\n\s+grant_\S+\s+triage\s+helpdesk-mail\s+email:read\s+/);

    const json = parseJson<{ connectors: Array<{ grants: Array<{ unused_30d: boolean }> }> }>(await as(builder)('access', 'inventory', '--json'));
    expect(json.connectors[0]!.grants[0]!.unused_30d).toBe(true);
    const md = await as(builder)('access', 'inventory', '--markdown');
    expect(md.code, md.stderr).toBe(0);
    expect(md.out[0]).toBe('# Access inventory');
    expect(md.stdout).toContain('| workflow | scope | expires | last used | uses | unused 30d |');
    expect(md.stdout).toContain('- rotation: **due now** (smtp-password)');
    expect((await as(builder)('access', 'inventory', '--json', '--markdown')).code).toBe(2);
    expect(inv.stdout + JSON.stringify(json) + md.stdout).not.toContain(secretValue);

    const revoked = await as(owner)('access', 'revoke', grant.grant.id, '--note', 'not used');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.out[0]).toContain('revoked');
  });

  it('configures a connector from a file and stores its secret from standard input, never printing it', async () => {
    const admin = await createTestIdentity(server.keel.db, ['admin']);
    const file = join(server.dir, 'crm.yaml');
    await writeFile(file, `id: crm\nkind: http\ntitle: CRM\nowner: ${owner.email}\nrotation_days: 30\nconfig:\n  base_url: https://crm.example.com\n  auth: { type: bearer, token_secret: crm-token }\n`);
    const applied = await as(admin)('connectors', 'apply', file);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.out[0]).toBe('connector crm (http) saved; scopes: http:read, http:write');

    await writeFile(join(server.dir, 'with-secrets.yaml'), 'id: crm\nkind: http\ntitle: CRM\nowner: x@example.com\nsecrets: { crm-token: { env: KEEL_CONNECTOR_CRM } }\n');
    const refused = await as(admin)('connectors', 'apply', join(server.dir, 'with-secrets.yaml'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('keel connectors secret crm NAME');

    const token = `crm-${randomBytes(8).toString('hex')}`;
    const stored = await runCli(['connectors', 'secret', 'crm', 'crm-token'], { KEEL_URL: server.url, KEEL_TOKEN: owner.token }, undefined, `${token}\n`);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.out[0]).toMatch(/^stored crm-token of crm: version 1, rotate by \d{4}-/);
    expect((await runCli(['connectors', 'secret', 'crm', 'crm-token'], { KEEL_URL: server.url, KEEL_TOKEN: owner.token }, undefined, '')).code).toBe(2);
    const shown = await as(admin)('connectors', 'show', 'crm');
    expect(shown.stdout).toMatch(/crm-token\s+1\s+/);
    expect(stored.stdout + stored.stderr + shown.stdout).not.toContain(token);
  });

  it('pauses and resumes a connector (the kill switch) as its owner, not as someone else', async () => {
    const byBuilder = await as(builder)('connectors', 'pause', 'helpdesk-mail', '--reason', 'no');
    expect(byBuilder.code).toBe(1);
    expect(byBuilder.stderr).toContain('owner of connector helpdesk-mail');
    const paused = await as(owner)('connectors', 'pause', 'helpdesk-mail', '--reason', 'phishing wave');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.out[0]).toBe('connector helpdesk-mail is paused by mail-owner@example.com (phishing wave): every call through it is refused');
    expect((await as(builder)('connectors', 'show', 'helpdesk-mail')).stdout).toMatch(/PAUSED:\s+by mail-owner@example\.com at \S+ \S+ \(phishing wave\)/);
    const resumed = await as(owner)('connectors', 'resume', 'helpdesk-mail');
    expect(resumed.out).toEqual(['connector helpdesk-mail is running: calls go through it']);
    expect((await as(owner)('connectors', 'pause', 'nope')).code).toBe(1);
  });
});
