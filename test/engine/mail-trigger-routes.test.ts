// GET /api/workflows/{id}/triggers against a real Dovecot on loopback: each stage's email triggers
// with when they last read their mailbox, why a read failed (a refused login: named, never the
// password), the messages they skipped (the UID and the contract's field, never the mail's text)
// and where their cursor stands. Answers are checked against the route's declared schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorKinds, createEgressClient, saveConnector, type ConnectorRuntimeDeps } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { KeelError } from '../../src/errors.js';
import { setPaused } from '../../src/registry/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { connectMailboxOwner, orderMail, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { deploy, deployGranted, oneStepWorkflow, testEngine } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const wrongPassword = 'imap-wrong-canary-Pa55';

// Two mailboxes: `helpdesk` reads from the oldest message every 5 s; `locked` logs in with the wrong password.
const intake = `
id: mail-intake
title: Mail intake
owner: ops@example.com
risk: low
triggers:
  - manual: {}
  - email: { connector: helpdesk, every: 5s, start: all, input: '{ "from": message.from, "subject": message.subject }' }
  - email: { connector: locked, every: 1m }
input: { type: object, required: [from, subject], properties: { from: { type: string }, subject: { type: string } } }
access:
  - { connector: helpdesk, scopes: [email:read] }
  - { connector: locked, scopes: [email:read] }
steps:
  - id: note
    kind: transform
    expression: 'input'
`;


interface TriggerState {
  stage: string; trigger_index: number; kind: string; connector: string; every: string; start: string; paused: boolean;
  last_polled_at: string | null; next_poll_at: string;
  last_error: { code: string; message: string; hint?: string; retriable: boolean } | null;
  skipped_count: number;
  last_skipped: { uid: number; uid_validity: string | null; at: string | null; error: { code: string; problems?: Array<{ path: string; message: string }> } } | null;
  cursor: { uid_validity: string | null; last_uid: number | null };
}

describe.each(testDatabases())('the state of email triggers over the API on $name', (database) => {
  let dovecot: DovecotServer;
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  let connectors: ConnectorRuntimeDeps;
  const mailbox = `Routes${database.name}`;

  beforeAll(async () => {
    dovecot = await startDovecot();
    const admin = await connectMailboxOwner(dovecot);
    await admin.mailboxCreate(mailbox);
    // The first has no From, which the contract requires: skipped and counted.
    for (const message of [orderMail(1, ''), orderMail(2)]) await admin.append(mailbox, message);
    await admin.logout();

    db = await database.open();
    for (const [id, secret] of [['helpdesk', 'imap_password'], ['locked', 'locked_password']] as const) {
      await saveConnector(db, {
        id, kind: 'email', title: `Mailbox ${id}`, owner: 'it@example.com',
        config: {
          smtp: { host: '127.0.0.1', port: 2525, starttls: 'never', from: 'support@keel.example' },
          imap: { host: dovecot.host, port: dovecot.port, starttls: 'never', username: dovecot.username, password_secret: secret, mailbox },
        },
      }, 'api', 'it@example.com');
    }
    connectors = {
      db, kinds: connectorKinds,
      async readSecret(_connector, secret) {
        if (secret === 'imap_password') return dovecot.password;
        if (secret === 'locked_password') return wrongPassword;
        throw new KeelError('misconfigured', `The secret ${secret} is not set.`);
      },
      egressFor: (allowHosts) => createEgressClient({ allowHosts: [...allowHosts] }),
    };
    await deploy(db, intake, 'sandbox');
    await deployGranted(db, intake);
    await deploy(db, oneStepWorkflow('no-mail'));
    app = testHttpApp(db);
    // A viewer reads runs, and so the triggers' state.
    api = await contractChecker(withToken(app, (await createTestIdentity(db, ['viewer'])).token));
  }, 60_000);
  afterAll(async () => {
    await app?.closeStreams();
    await db?.close();
    await dovecot?.stop();
  });

  const states = async (id = 'mail-intake') =>
    (await api.call('GET', '/api/workflows/{id}/triggers', `/api/workflows/${id}/triggers`, undefined, 200)).body as unknown as { workflow_id: string; triggers: TriggerState[] };

  it('lists each stage\'s email triggers, in stage order, before any read', async () => {
    const body = await states();
    expect(body.workflow_id).toBe('mail-intake');
    expect(body.triggers.map((t) => [t.stage, t.trigger_index, t.connector, t.every, t.start])).toEqual([
      ['sandbox', 1, 'helpdesk', '5s', 'all'], ['sandbox', 2, 'locked', '1m', 'new'],
      ['production', 1, 'helpdesk', '5s', 'all'], ['production', 2, 'locked', '1m', 'new'],
    ]);
    expect(body.triggers[0]).toMatchObject({
      kind: 'email', paused: false, last_polled_at: null, last_error: null, skipped_count: 0, last_skipped: null,
      cursor: { uid_validity: null, last_uid: null },
    });
    expect(Number.isNaN(Date.parse(body.triggers[0]!.next_poll_at))).toBe(false);
  });

  it('shows the last read, the skipped message and the cursor of a trigger that reads, and why another cannot read, with no password and no mail text', async () => {
    const engine = testEngine(db, { connectors });
    // One tick reads at most a batch of triggers; all four are due.
    expect(await engine.mailPoller.tick()).toBe(2);
    await setPaused(db, 'mail-intake', 'sandbox', true, 'test');
    const body = await states();
    const production = body.triggers.filter((t) => t.stage === 'production');
    const [reading, locked] = production;
    expect(reading).toMatchObject({
      connector: 'helpdesk', last_error: null, skipped_count: 1,
      last_skipped: { uid: 1, error: { code: 'invalid_input', problems: [{ path: 'input.from' }] } },
      cursor: { last_uid: 2 },
    });
    expect(reading?.cursor.uid_validity).toMatch(/^\d+$/);
    expect(reading?.last_skipped?.uid_validity).toBe(reading?.cursor.uid_validity);
    expect(reading?.last_polled_at).not.toBeNull();
    expect(locked).toMatchObject({
      connector: 'locked', skipped_count: 0, cursor: { uid_validity: null, last_uid: null },
      last_error: { code: 'misconfigured', retriable: false },
    });
    expect(locked?.last_error?.message).toContain(`refused the login of user ${dovecot.username}`);
    expect(locked?.last_error?.hint).toContain('locked_password');
    expect(body.triggers.filter((t) => t.stage === 'sandbox').every((t) => t.paused)).toBe(true);

    const text = JSON.stringify(body);
    for (const secret of [wrongPassword, dovecot.password, Buffer.from(wrongPassword).toString('base64')]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/body-canary|Where is order/);
  });

  it('answers an empty list for a workflow without email triggers, and 404 for an unknown workflow', async () => {
    expect((await states('no-mail')).triggers).toEqual([]);
    await api.call('GET', '/api/workflows/{id}/triggers', '/api/workflows/nowhere/triggers', undefined, 404);
  });
});
