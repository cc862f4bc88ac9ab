// Every action of every connector kind, each against a real target on loopback, through the one
// governed path (invokeAction): refused without a grant (audited, and nothing reaches the target),
// performed with an approved grant, recorded instead of performed in sandbox when it has a side
// effect (a read still runs), and refused again once its grant is revoked or has expired. The list
// is read from connectorKinds, so a new kind or action without a fixture fails here rather than
// going untested.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectorKinds, createEgressClient, decideGrant, invokeAction, putSecret, readSecret, requestGrant, revokeGrant, saveConnector,
  secretKeyFromText, type ConnectorRuntimeDeps,
} from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { kindFixtures, type KindFixture } from '../support/connector-fixtures.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { watchLoopback } from '../support/loopback-watch.js';

const shippedKinds = ['http', 'webhook', 'slack', 'email', 'postgres', 'files'];
const owner = 'connector-owner@example.com';
const builder = 'builder@example.com';

const cases = [...connectorKinds].flatMap(([kind, definition]) =>
  Object.entries(definition.actions).map(([action, a]) => ({ name: `${kind}.${action}`, kind, action, scope: a.scope, sideEffect: a.sideEffect })));
type Case = (typeof cases)[number];

const connectorOf = (kind: string) => `every-${kind}`;
// One workflow per action: grants are per workflow and scope, and two actions may share a scope.
const workflowOf = (c: Case) => `every-${c.kind}-${c.action.replaceAll('_', '-')}`;

const { sockets } = watchLoopback();
const fixtures = new Map<string, KindFixture | undefined>();

beforeAll(async () => {
  for (const kind of connectorKinds.keys()) {
    const start = kindFixtures[kind];
    if (start) fixtures.set(kind, await start());
  }
}, 60_000);
afterAll(async () => {
  for (const fixture of fixtures.values()) await fixture?.stop();
});

describe('the actions under test', () => {
  it('come from every kind Keel ships, and each kind has a fixture with an input for every action', () => {
    expect([...connectorKinds.keys()]).toEqual(expect.arrayContaining(shippedKinds));
    for (const kind of connectorKinds.keys()) {
      expect(kindFixtures[kind], `kind ${kind} has no fixture in test/support/connector-fixtures.ts`).toBeDefined();
    }
    for (const c of cases) {
      const fixture = fixtures.get(c.kind);
      if (!fixture) continue; // its target is not available here; its cases say so
      expect(fixture.inputs[c.action], `no input for ${c.kind}.${c.action} in its fixture`).toBeDefined();
      if (!c.sideEffect) expect(fixture.shows[c.action], `no read marker for ${c.kind}.${c.action} in its fixture`).toBeDefined();
    }
    expect(cases.length).toBeGreaterThanOrEqual(shippedKinds.length);
  });
});

describe.each(testDatabases())('every connector action on $name', (database) => {
  let db: Db;
  let deps: ConnectorRuntimeDeps;
  const key = secretKeyFromText(randomBytes(32).toString('hex'), 'every-action test');

  beforeAll(async () => {
    db = await database.open();
    for (const [kind, fixture] of fixtures) {
      if (!fixture) continue;
      await saveConnector(db, { id: connectorOf(kind), kind, title: `Every ${kind} action`, owner, config: fixture.config, allowHosts: ['127.0.0.1'] }, 'api', owner);
      for (const [name, value] of Object.entries(fixture.secrets)) await putSecret(db, key, { connectorId: connectorOf(kind), name, value, actor: owner });
    }
    for (const c of cases) await deploy(db, oneStepWorkflow(workflowOf(c)));
    deps = {
      db, kinds: connectorKinds,
      readSecret: (connectorId, name) => readSecret(db, key, connectorId, name),
      egressFor: (allowHosts) => createEgressClient({ allowHosts: [...allowHosts] }),
    };
  });
  afterAll(async () => {
    await db.close();
  });

  it.for(cases)('$name: refused without a grant, performed with one, intercepted in sandbox, refused once revoked or expired', async (c, { skip }) => {
    const fixture = fixtures.get(c.kind);
    if (!fixture) return skip(`no ${c.kind} target here (the postgres kind needs KEEL_TEST_DATABASE_URL)`);
    const input = fixture.inputs[c.action]!;
    const workflowId = workflowOf(c);
    const connectorId = connectorOf(c.kind);
    let calls = 0;
    const invoke = (intercept: boolean) => {
      const runId = `run_${database.name}_${workflowId}_${++calls}`;
      const result = invokeAction(deps, {
        workflowId, runId, stepId: 'act', connectorId, action: c.action, input: input(`${database.name}-${c.action}-${calls}`),
        idempotencyKey: `${runId}:act:1`, signal: AbortSignal.timeout(20_000), intercept,
      });
      return { runId, result };
    };

    /** Refused with permission_denied, audited with `why`, and nothing reached the target: no socket, no change. */
    const expectRefused = async (intercept: boolean, why: RegExp) => {
      const before = await fixture.reached();
      const socketsBefore = sockets();
      const { runId, result } = invoke(intercept);
      const error = await result.then(() => undefined, (e: unknown) => e);
      expect(isKeelError(error) ? error.code : error, `${c.kind}.${c.action} ran without a live grant`).toBe('permission_denied');
      expect(await fixture.reached(), 'the target received something').toBe(before);
      expect(sockets(), 'a socket was opened').toBe(socketsBefore);
      const audit = await db.query<{ subject_id: string; data: Record<string, unknown> }>(
        `SELECT subject_id, data FROM audit_events WHERE action = 'grant:denied' AND data->>'run_id' = $1`, [runId]);
      expect(audit.rows).toHaveLength(1);
      expect(audit.rows[0]).toMatchObject({ subject_id: connectorId, data: { workflow_id: workflowId, scope: c.scope, why: expect.stringMatching(why) } });
    };

    await expectRefused(false, /never requested/);
    await expectRefused(true, /never requested/);

    const { grant } = await requestGrant(db, { workflowId, connectorId, scope: c.scope, actor: builder });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: owner, ownsConnector: true });

    const beforeLive = await fixture.reached();
    const live = await invoke(false).result;
    expect(live).toMatchObject({ scope: c.scope });
    expect(live.wouldHaveSent).toBeUndefined();
    if (c.sideEffect) expect(await fixture.reached(), 'the granted side effect did not reach the target').not.toBe(beforeLive);
    else expect(JSON.stringify(live.output)).toContain(fixture.shows[c.action]);

    const beforeSandbox = await fixture.reached();
    const socketsBeforeSandbox = sockets();
    const sandboxed = await invoke(true).result;
    if (c.sideEffect) {
      expect(sandboxed.output).toMatchObject({ intercepted: true, connector: connectorId, action: c.action, would_have_sent: expect.anything() });
      expect(sandboxed.wouldHaveSent).toBeDefined();
      expect(await fixture.reached(), 'the sandboxed side effect reached the target').toBe(beforeSandbox);
      expect(sockets(), 'the sandboxed side effect opened a socket').toBe(socketsBeforeSandbox);
    } else {
      expect(sandboxed.wouldHaveSent).toBeUndefined();
      expect(JSON.stringify(sandboxed.output)).toContain(fixture.shows[c.action]);
    }

    await revokeGrant(db, { grantId: grant.id, actor: owner, ownsConnector: true, note: 'no longer needed' });
    await expectRefused(false, /^revoked$/);
    await expectRefused(true, /^revoked$/);

    // Approved a minute ago until a second ago: the clock, not a person, ended it.
    const again = await requestGrant(db, { workflowId, connectorId, scope: c.scope, actor: builder });
    const now = Date.now();
    await decideGrant(db, { grantId: again.grant.id, decision: 'approve', actor: owner, ownsConnector: true, now: new Date(now - 60_000), expiresAt: new Date(now - 1_000) });
    await expectRefused(false, /^expired /);
    await expectRefused(true, /^expired /);
  });
});
