// `keel monitors`, `keel drift`, `keel incidents` and `keel incidents ack` against a real Keel over
// loopback HTTP: a monitor added through the API fires on a pass of the monitor loop, its incident is
// listed, acknowledged once, and the drift report says there are too few cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorRuntime } from '../../src/connectors/index.js';
import { startRun } from '../../src/engine/index.js';
import { createMonitorLoop, createTracer } from '../../src/observe/index.js';


import { testSecretKey, waitForRun } from '../support/harness.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
  const db = server.keel.db;
  const made = await fetch(`${server.url}/api/workflows/triage/monitors`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'any run', metric: 'runs', above: 0, window: '1h' }),
  });
  expect(made.status).toBe(201);
  const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'printer jam' } });
  await waitForRun(db, run.id, ['succeeded', 'waiting']);
  const tracer = createTracer({
    db, tickMs: 60_000, batch: 100, settleMs: 0, onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
  });
  await tracer.drain();
  const monitors = createMonitorLoop({
    db, tickMs: 60_000, onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
    connectors: createConnectorRuntime({ db, secretKey: testSecretKey, allowHosts: [] }), pauseStage: async () => { throw new Error('no stop condition'); },
  });
  expect((await monitors.pass()).opened).toHaveLength(1);
}, 60_000);
afterAll(async () => {
  await server.stop();
});

describe('keel monitors, drift and incidents', () => {
  it('lists the monitor with its state', async () => {
    const r = await keel('monitors', 'triage');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out[0]).toMatch(/^NAME\s+SOURCE\s+STAGE\s+RULE\s+STOP\s+STATE\s+SUMMARY$/);
    expect(r.out[1]).toMatch(/^any run\s+api\s+production\s+runs > 0 over 1h\s+no\s+firing\s+runs over the last 1h is 1, above limit 0: breached\.$/);
  });

  it('lists the open incident and acknowledges it once', async () => {
    const open = parseJson<{ incidents: Array<{ id: string; monitor_name: string; status: string }> }>(await keel('incidents', '--open', '--json'));
    expect(open.incidents.map((i) => [i.monitor_name, i.status])).toEqual([['any run', 'open']]);
    const id = open.incidents[0]!.id;
    const listed = await keel('incidents');
    expect(listed.out.some((l) => l.startsWith(id) && /triage\s+any run\s+open/.test(l))).toBe(true);
    const ack = await keel('incidents', 'ack', id, '--note', 'expected: a test run');
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.out[0]).toMatch(new RegExp(`^${id} acknowledged by `));
    const again = await keel('incidents', 'ack', id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already acknowledged/);
    expect((await keel('incidents', '--open')).out).toEqual(['no incidents']);
  });

  it('prints the drift report, with no index while cases are few', async () => {
    const r = await keel('drift', 'triage', '--window', '1h', '--baseline', '7d');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out[0]).toMatch(/^drift of triage \(production\): /);
    expect(r.out[1]).toBe('index: - (too few cases)');
  });
});
