// Monitors and incidents over HTTP, every answer checked against its contract: a workflow's file
// rules and API rules with their state after a pass of the monitor loop (on a fake clock), adding
// and deleting an API rule with its problems named, the incident a silent workflow opens, listed
// only to those who may see the workflow and acknowledged once, and the drift report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorRuntime } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import type { Drift, Incident, IncidentList, MonitorList } from '../../src/cli/api-types.js';
import { createMonitorLoop, type MonitorLoop } from '../../src/observe/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testSecretKey } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, simple } from '../overview/fixture.js';

const hour = 3_600_000;

interface Problem { detail: string; problems?: Array<{ path: string; message: string }> }

describe.each(testDatabases())('monitor and incident routes on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let loop: MonitorLoop;
  let admin: string;
  let owner: string;
  let outsider: string;
  let now = new Date();

  beforeAll(async () => {
    db = await database.open();
    await deploy(db, simple('quiet', `runbook:
  monitors:
    - { name: silence, no_runs_for: 2h }
    - { name: failing, metric: failure_pct, above: 20, window: 1d, min_runs: 5 }`));
    await deploy(db, simple('private'));
    app = testHttpApp(db, { overview: { now: () => now } });
    admin = (await createTestIdentity(db, ['admin'])).token;
    owner = await memberOf(db, { quiet: ['owner'] });
    outsider = await memberOf(db, { private: ['owner'] });
    loop = createMonitorLoop({
      db, tickMs: 60_000, clock: () => now, onError: (m, e) => expect.fail(`${m}: ${String(e)}`),
      connectors: createConnectorRuntime({ db, secretKey: testSecretKey, allowHosts: [] }),
      pauseStage: async () => expect.fail('no stop condition here'),
    });
  }, 60_000);
  afterAll(async () => {
    await app?.closeStreams();
    await db?.close();
  });

  // Bodies are checked against their contracts by the checker; the tests read them as the CLI does.
  const call = async <T = Problem>(token: string, method: string, template: string, path: string, body: unknown, status: number) =>
    (await (await contractChecker(withToken(app, token))).call(method, template, path, body, status)).body as T;

  it('lists the file rules, then their verdicts after a pass: silent for three hours fires, too few runs gives no verdict', async () => {
    const before = await call<MonitorList>(owner, 'GET', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', undefined, 200);
    expect(before.monitors.map((m) => [m.key, m.source, m.state])).toEqual([
      ['file:quiet:production:silence', 'file', null], ['file:quiet:production:failing', 'file', null],
    ]);
    now = new Date(Date.now() + 3 * hour);
    const pass = await loop.pass();
    expect(pass.opened.map((i) => [i.workflow_id, i.monitor_name])).toEqual([['quiet', 'silence']]);
    const after = await call<MonitorList>(owner, 'GET', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', undefined, 200);
    expect(after.monitors.map((m) => [m.rule.name, m.state?.state])).toEqual([['silence', 'firing'], ['failing', 'no_data']]);
    expect(after.monitors[0]!.state?.summary).toMatch(/No run has ended since/);
  });

  it('adds an API rule, refuses a clashing or malformed one with the field named, and deletes it', async () => {
    const made = await call<MonitorList['monitors'][number]>(owner, 'POST', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', { name: 'spend', cost_per_day_above: 5 }, 201);
    expect(made).toMatchObject({ source: 'api', workflow_id: 'quiet', rule: { name: 'spend', cost_per_day_above: 5, window: '1h', stage: 'production', stop: false } });
    await call(owner, 'POST', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', { name: 'silence', no_runs_for: '1h' }, 409);
    const both = await call(owner, 'POST', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', { name: 'odd', metric: 'runs', above: 1, below: 2 }, 422);
    expect(both.problems).toEqual([{ path: 'metric', message: 'a metric monitor needs exactly one of above or below' }]);
    const nowhere = await call(owner, 'POST', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', { name: 'tell', no_runs_for: '1h', notify: [{ connector: 'nope', action: 'send' }] }, 422);
    expect(nowhere.problems?.[0]).toMatchObject({ path: 'notify[0].connector', message: 'no connector named "nope"' });
    await call(outsider, 'POST', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', { name: 'x', no_runs_for: '1h' }, 404);
    await call(outsider, 'DELETE', '/api/monitors/{id}', `/api/monitors/${made.id}`, undefined, 404);
    expect((await withToken(app, owner).request(`/api/monitors/${made.id}`, { method: 'DELETE' })).status).toBe(204);
    const left = await call<MonitorList>(owner, 'GET', '/api/workflows/{id}/monitors', '/api/workflows/quiet/monitors', undefined, 200);
    expect(left.monitors.map((m) => m.rule.name)).toEqual(['silence', 'failing']);
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'monitor:%' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['monitor:created', 'monitor:deleted']);
  });

  it('lists incidents to those who may see the workflow, and acknowledges one once', async () => {
    const listed = await call<IncidentList>(admin, 'GET', '/api/incidents', '/api/incidents?status=open', undefined, 200);
    expect(listed.incidents.map((i) => [i.workflow_id, i.monitor_name, i.status])).toEqual([['quiet', 'silence', 'open']]);
    expect((await call<IncidentList>(outsider, 'GET', '/api/incidents', '/api/incidents', undefined, 200)).incidents).toEqual([]);
    const id = listed.incidents[0]!.id;
    await call(outsider, 'POST', '/api/incidents/{id}/acknowledge', `/api/incidents/${id}/acknowledge`, {}, 404);
    const acked = await call<Incident>(owner, 'POST', '/api/incidents/{id}/acknowledge', `/api/incidents/${id}/acknowledge`, { note: 'the source is down for maintenance' }, 200);
    expect(acked).toMatchObject({ status: 'acknowledged', note: 'the source is down for maintenance' });
    const again = await call(admin, 'POST', '/api/incidents/{id}/acknowledge', `/api/incidents/${id}/acknowledge`, {}, 409);
    expect(again.detail).toMatch(/already acknowledged by/);
    expect((await call<IncidentList>(admin, 'GET', '/api/incidents', '/api/incidents?status=open', undefined, 200)).incidents).toEqual([]);
    // Still silent: the acknowledged incident is the episode in progress, so nothing new opens.
    expect((await loop.pass()).opened).toEqual([]);
  });

  it('answers the drift report with no index while there are too few cases', async () => {
    const drift = await call<Drift>(owner, 'GET', '/api/workflows/{id}/drift', '/api/workflows/quiet/drift?window=1h&baseline=7d', undefined, 200);
    expect(drift).toMatchObject({ workflow_id: 'quiet', stage: 'production', features: [], index: null, acceptance: { relative_change_pct: null } });
    await call(outsider, 'GET', '/api/workflows/{id}/drift', '/api/workflows/quiet/drift', undefined, 404);
  });
});
