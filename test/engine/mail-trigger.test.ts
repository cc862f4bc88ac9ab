// The email trigger against a real Dovecot on loopback: each due trigger's mailbox is read through
// the governed connector path (no grant of email:read, nothing read and the refusal audited), one run
// per new message with the mapped input, the cursor saved with the runs and kept across redeploys,
// and a UIDVALIDITY change that does not run old mail again. A new trigger starts at new mail by
// default (`start: new`); the cases that read mail already in the mailbox say `start: all`.
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectorKinds, createEgressClient, decideGrant, requestGrant, saveConnector, type ConnectorRuntimeDeps } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { KeelError } from '../../src/errors.js';
import { moveDeployment, setPaused } from '../../src/registry/index.js';
import { testDatabases } from '../support/databases.js';
import { connectMailboxOwner, orderMail, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { deploy, testEngine } from '../support/harness.js';

/** `start` is `all` unless given; null leaves it out (the default, `new`). */
const intake = (options: { title?: string; input?: string | null; connector?: string; start?: 'new' | 'all' | null } = {}) => {
  const input = options.input === undefined ? `'{ "from": message.from, "subject": message.subject, "uid": message.uid }'` : options.input;
  const start = options.start === undefined ? 'all' : options.start;
  return `
id: mail-intake
title: ${options.title ?? 'Mail intake'}
owner: ops@example.com
risk: low
triggers:
  - email: { connector: ${options.connector ?? 'helpdesk'}, every: 5s${start === null ? '' : `, start: ${start}`}${input === null ? '' : `, input: ${input}`} }
input: { type: object, required: [from, subject], properties: { from: { type: string }, subject: { type: string } } }
access:
  - { connector: ${options.connector ?? 'helpdesk'}, scopes: [email:read] }
steps:
  - id: note
    kind: transform
    expression: 'input'
`;
};


describe.each(testDatabases())('the email trigger on $name', (database) => {
  let dovecot: DovecotServer;
  let admin: ImapFlow;
  let db: Db;
  let connectors: ConnectorRuntimeDeps;
  let mailbox: string;
  let boxes = 0;

  beforeAll(async () => {
    dovecot = await startDovecot();
    admin = await connectMailboxOwner(dovecot);
  });
  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  beforeEach(async () => {
    db = await database.open();
    mailbox = `Intake${database.name}${++boxes}`;
    await admin.mailboxCreate(mailbox);
    await saveHelpdesk('helpdesk', mailbox);
    connectors = {
      db, kinds: connectorKinds,
      async readSecret(_connector, secret) {
        if (secret !== 'imap_password') throw new KeelError('misconfigured', `The secret ${secret} is not set.`);
        return dovecot.password;
      },
      egressFor: (allowHosts) => createEgressClient({ allowHosts: [...allowHosts] }),
    };
  });
  afterEach(async () => {
    await db.close();
  });

  async function saveHelpdesk(id: string, box: string): Promise<void> {
    await saveConnector(db, {
      id, kind: 'email', title: 'Helpdesk mailbox', owner: 'it@example.com',
      config: {
        smtp: { host: '127.0.0.1', port: 2525, starttls: 'never', from: 'support@keel.example' },
        imap: { host: dovecot.host, port: dovecot.port, starttls: 'never', username: dovecot.username, password_secret: 'imap_password', mailbox: box },
      },
    }, 'api', 'it@example.com');
  }

  async function grant(connectorId = 'helpdesk'): Promise<void> {
    // Deploying may already have asked for it (access lists email:read); asking again answers that request.
    const { grant: asked } = await requestGrant(db, { workflowId: 'mail-intake', connectorId, scope: 'email:read', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: asked.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
  }

  const append = async (...messages: string[]) => {
    for (const message of messages) await admin.append(mailbox, message);
  };
  const due = () => db.query(`UPDATE mail_triggers SET next_poll_at = now() - interval '1 second'`);
  const runs = async () =>
    (await db.query<{ trigger_kind: string; dedupe_key: string; input: Record<string, unknown>; stage: string; version_id: string }>(
      `SELECT trigger_kind, dedupe_key, input, stage, version_id FROM runs ORDER BY created_at, dedupe_key`)).rows;
  const trigger = async () =>
    (await db.query<{ connector_id: string; start_from: string; uid_validity: string | null; last_uid: number | null; last_date: Date | null; last_error: { code: string; message: string } | null; skipped_count: number; last_skipped: { uid: number; error: { code: string } } | null; last_polled_at: Date | null }>(
      `SELECT connector_id, start_from, uid_validity, last_uid::float8 AS last_uid, last_date, last_error, skipped_count, last_skipped, last_polled_at FROM mail_triggers`)).rows;

  it('reads nothing and starts no run without a live grant of email:read; the refusal is audited, and logged once', async () => {
    await deploy(db, intake());
    await append(orderMail(1));
    const engine = testEngine(db, { connectors });
    expect(await engine.mailPoller.tick()).toBe(0);
    await due();
    expect(await engine.mailPoller.tick()).toBe(0);

    expect(await runs()).toEqual([]);
    const [row] = await trigger();
    expect(row).toMatchObject({ uid_validity: null, last_uid: null, last_error: { code: 'permission_denied' } });
    expect(row?.last_error?.message).toContain('holds no live grant of email:read on connector helpdesk');
    const denied = await db.query<{ actor: string; data: { run_id: unknown; why: string } }>(`SELECT actor, data FROM audit_events WHERE action = 'grant:denied'`);
    expect(denied.rows).toHaveLength(2);
    expect(denied.rows[0]).toMatchObject({ actor: 'trigger:email:mail-intake/production triggers[0]', data: { run_id: null } });
    expect(engine.errors).toHaveLength(1);
    expect(JSON.stringify(engine.errors)).not.toContain('body-canary');
    expect(JSON.stringify(engine.errors)).not.toContain(dovecot.password);
  });

  it('with the grant, starts one run per new message with the mapped input, and never one twice', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(1), orderMail(2));
    const engine = testEngine(db, { connectors });
    expect(await engine.mailPoller.tick()).toBe(2);

    const first = await runs();
    expect(first.map((r) => r.input)).toEqual([
      { from: 'ada@customer.example', subject: 'Order 1', uid: 1 },
      { from: 'ada@customer.example', subject: 'Order 2', uid: 2 },
    ]);
    const [row] = await trigger();
    expect(row).toMatchObject({ last_uid: 2, last_error: null });
    expect(first.map((r) => r.trigger_kind)).toEqual(['email', 'email']);
    expect(first.map((r) => r.dedupe_key)).toEqual([1, 2].map((uid) => `email:mail-intake:production:helpdesk:${row?.uid_validity}:${uid}`));

    await due();
    expect(await engine.mailPoller.tick()).toBe(0);
    // Not due yet: the mailbox is not even read.
    await append(orderMail(3));
    expect(await engine.mailPoller.tick()).toBe(0);
    await due();
    expect(await engine.mailPoller.tick()).toBe(1);
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 1', 'Order 2', 'Order 3']);
    expect(engine.errors).toEqual([]);
  });

  it('makes one run per message when two pollers tick at once, and none again when a read is replayed', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(1), orderMail(2));
    const a = testEngine(db, { connectors }).mailPoller;
    const b = testEngine(db, { connectors }).mailPoller;
    const [fa, fb] = await Promise.all([a.tick(), b.tick()]);
    expect(fa + fb).toBe(2);
    expect(await runs()).toHaveLength(2);

    // A leader that lost its lock mid-read, or a crash before the cursor was saved: the same read again.
    const [row] = await trigger();
    await db.query(`UPDATE mail_triggers SET last_uid = 0`);
    await due();
    expect(await a.tick()).toBe(0);
    expect(await runs()).toHaveLength(2);
    expect((await trigger())[0]).toMatchObject({ last_uid: 2, uid_validity: row?.uid_validity });
    // The run's dedupe key holds on its own, without the Message-ID record.
    await db.query(`DELETE FROM mail_trigger_messages`);
    await db.query(`UPDATE mail_triggers SET last_uid = 0`);
    await due();
    expect(await b.tick()).toBe(0);
    expect(await runs()).toHaveLength(2);
  });

  it('passes the fetched message as the input when the trigger maps nothing, in sandbox too', async () => {
    await deploy(db, intake({ input: null }), 'sandbox');
    await grant();
    await append(orderMail(4));
    expect(await testEngine(db, { connectors }).mailPoller.tick()).toBe(1);
    const [run] = await runs();
    expect(run?.stage).toBe('sandbox');
    expect(run?.input).toMatchObject({
      uid: 1, message_id: '<order-4@customer.example>', from: 'ada@customer.example', from_name: 'Ada', to: ['support@keel.example'],
      subject: 'Order 4', text: 'Where is order 4? (body-canary-4)', text_source: 'plain',
    });
  });

  it('skips a message whose input breaks the contract, counts it, and still runs the ones after it', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(1, ''), orderMail(2));
    const engine = testEngine(db, { connectors });
    expect(await engine.mailPoller.tick()).toBe(1);
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 2']);
    const [row] = await trigger();
    expect(row).toMatchObject({ last_uid: 2, skipped_count: 1, last_skipped: { uid: 1, error: { code: 'invalid_input' } }, last_error: null });
    expect(engine.errors).toHaveLength(1);
    expect(JSON.stringify(engine.errors)).toContain('uid 1');
    expect(JSON.stringify(engine.errors)).not.toContain('body-canary');
  });

  it('skips a message its input expression fails on, naming the JSONata error without quoting the message', async () => {
    await deploy(db, intake({ input: `'{ "from": message.from, "subject": $number(message.text) }'` }));
    await grant();
    await append(orderMail(1));
    const engine = testEngine(db, { connectors });
    expect(await engine.mailPoller.tick()).toBe(0);
    expect((await trigger())[0]).toMatchObject({ last_uid: 1, skipped_count: 1, last_skipped: { uid: 1, error: { code: 'invalid_input' } } });
    const logged = JSON.stringify(engine.errors);
    expect(logged).toContain('JSONata evaluation failed (D3030 at character');
    expect(logged).not.toContain('body-canary');
  });

  it('keeps the cursor across a redeploy and a promotion, restarts it for another connector, and reads nothing while paused', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(1), orderMail(2));
    const poller = testEngine(db, { connectors }).mailPoller;
    expect(await poller.tick()).toBe(2);

    const second = await deploy(db, intake({ title: 'Mail intake v2' }));
    expect(second.deploymentChanged).toBe(true);
    expect((await trigger())[0]).toMatchObject({ last_uid: 2 });
    expect(await poller.tick()).toBe(0);
    await moveDeployment(db, 'mail-intake', 'production', '1', 'test');
    expect((await trigger())[0]).toMatchObject({ last_uid: 2 });

    await setPaused(db, 'mail-intake', 'production', true, 'test');
    await append(orderMail(3));
    await due();
    const before = (await trigger())[0]?.last_polled_at;
    expect(await poller.tick()).toBe(0);
    expect((await trigger())[0]?.last_polled_at).toEqual(before);
    await setPaused(db, 'mail-intake', 'production', false, 'test');
    expect(await poller.tick()).toBe(1);
    const all = await runs();
    expect(all.map((r) => r.input.subject)).toEqual(['Order 1', 'Order 2', 'Order 3']);
    // The paused mail ran on the version deployed when it was read (version 1 again, after the rollback).
    expect(all[2]?.version_id).toBe(all[0]?.version_id);

    // Another connector is another mailbox: its cursor starts over, at its oldest message.
    await saveHelpdesk('archive', mailbox);
    await deploy(db, intake({ connector: 'archive' }));
    await grant('archive');
    expect((await trigger())[0]).toMatchObject({ connector_id: 'archive', last_uid: null });
    expect(await poller.tick()).toBe(3);
  });

  it('after a UIDVALIDITY change runs the new mail once and the mail it already ran not again', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(1), orderMail(2));
    const poller = testEngine(db, { connectors }).mailPoller;
    expect(await poller.tick()).toBe(2);
    const before = (await trigger())[0]?.uid_validity;

    // Recreating the mailbox renumbers it: the same two messages under a new UIDVALIDITY, then a new one.
    await admin.mailboxDelete(mailbox);
    await admin.mailboxCreate(mailbox);
    await append(orderMail(1), orderMail(2), orderMail(3));
    await due();
    expect(await poller.tick()).toBe(1);
    const row = (await trigger())[0];
    expect(row?.uid_validity).not.toBe(before);
    expect(row?.last_uid).toBe(3);
    const all = await runs();
    expect(all.map((r) => r.input.subject)).toEqual(['Order 1', 'Order 2', 'Order 3']);
    expect(all[2]?.dedupe_key).toBe(`email:mail-intake:production:helpdesk:${row?.uid_validity}:3`);
    await due();
    expect(await poller.tick()).toBe(0);
  });

  it('by default (start: new) runs none of the mail already there: the first read records where the mailbox stands, and later mail runs once', async () => {
    await deploy(db, intake({ start: null }));
    await grant();
    await append(orderMail(1), orderMail(2));
    const engine = testEngine(db, { connectors });
    expect(await engine.mailPoller.tick()).toBe(0);
    expect(await runs()).toEqual([]);
    const [first] = await trigger();
    expect(first).toMatchObject({ start_from: 'new', last_uid: 2, last_error: null });
    expect(first?.uid_validity).toMatch(/^\d+$/);
    // The position carries the newest message's date, which bounds the re-read after a renumbering.
    expect(first?.last_date).toBeInstanceOf(Date);

    await append(orderMail(3));
    await due();
    expect(await engine.mailPoller.tick()).toBe(1);
    await due();
    expect(await engine.mailPoller.tick()).toBe(0);
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 3']);
    expect((await trigger())[0]).toMatchObject({ last_uid: 3 });
    expect(engine.errors).toEqual([]);
  });

  it('with start: new records nothing until it can read, and on an empty mailbox runs the first mail that arrives', async () => {
    await deploy(db, intake({ start: 'new' }));
    const engine = testEngine(db, { connectors });
    // No grant yet: nothing is read, so no position is recorded either.
    expect(await engine.mailPoller.tick()).toBe(0);
    expect((await trigger())[0]).toMatchObject({ uid_validity: null, last_uid: null, last_error: { code: 'permission_denied' } });
    await grant();
    await due();
    expect(await engine.mailPoller.tick()).toBe(0);
    expect((await trigger())[0]).toMatchObject({ last_uid: 0, last_date: null, last_error: null });
    await append(orderMail(1));
    await due();
    expect(await engine.mailPoller.tick()).toBe(1);
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 1']);
  });

  it('keeps the recorded position across redeploys that change start: no jump ahead, no read of the old mail', async () => {
    await deploy(db, intake({ start: null }));
    await grant();
    await append(orderMail(1), orderMail(2));
    const poller = testEngine(db, { connectors }).mailPoller;
    expect(await poller.tick()).toBe(0);

    // Now start: all, but the trigger has a cursor: the mail before it stays unread.
    await deploy(db, intake({ start: 'all', title: 'Mail intake v2' }));
    expect((await trigger())[0]).toMatchObject({ start_from: 'all', last_uid: 2 });
    expect(await poller.tick()).toBe(0);

    // Mail waiting when it is redeployed with start: new still runs: the cursor is not moved to the newest message.
    await append(orderMail(3));
    await deploy(db, intake({ start: 'new', title: 'Mail intake v3' }));
    expect((await trigger())[0]).toMatchObject({ start_from: 'new', last_uid: 2 });
    expect(await poller.tick()).toBe(1);
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 3']);
  });

  it('reads from the oldest message for a version stored before start existed', async () => {
    await deploy(db, intake({ start: null }));
    await deploy(db, intake({ start: null, title: 'Mail intake v2' }));
    // Version 1 as it was stored before the field: without start.
    await db.query(`UPDATE workflow_versions SET definition = definition #- '{triggers,0,email,start}' WHERE workflow_id = 'mail-intake' AND number = 1`);
    await moveDeployment(db, 'mail-intake', 'production', '1', 'test');
    expect((await trigger())[0]).toMatchObject({ start_from: 'all', last_uid: null });
    await grant();
    await append(orderMail(1));
    expect(await testEngine(db, { connectors }).mailPoller.tick()).toBe(1);
  });

  it('reads the mailboxes from the leader loop the engine starts, and stops with it', async () => {
    await deploy(db, intake());
    await grant();
    await append(orderMail(7));
    const engine = testEngine(db, { connectors });
    await engine.startMailPoller();
    try {
      const deadline = Date.now() + 10_000;
      while ((await runs()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await engine.stop();
    }
    expect((await runs()).map((r) => r.input.subject)).toEqual(['Order 7']);
    expect(engine.errors).toEqual([]);
  });
});
