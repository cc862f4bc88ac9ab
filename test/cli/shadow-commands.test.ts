// `keel shadow` against a real Keel over loopback HTTP: a candidate triage version shadows production
// on two new live runs, `show` prints both agreements, cost and latency side by side and names the
// run it disagreed on, `list` shows it finished, and a finished shadow cannot be stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/index.js';
import { advanceShadows, getShadow } from '../../src/evals/index.js';
import { deployWorkflow } from '../../src/registry/index.js';
import { waitForRun } from '../support/harness.js';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { parseJson, runCli, startTestKeel, triageWorkflow, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let builder: TestIdentity;
const keel = (...argv: string[]) => runCli(argv, { KEEL_URL: server.url, KEEL_TOKEN: builder.token });

beforeAll(async () => {
  server = await startTestKeel();
  builder = await createTestIdentity(server.keel.db, ['builder']);
  await deployWorkflow(server.keel.db, { source: triageWorkflow, sourceName: 'triage.yaml', stage: 'production', actor: 'ops@example.com' });
  // The candidate also calls "asap" urgent.
  const candidate = triageWorkflow.replace('$contains(input.subject, "urgent")', '($contains(input.subject, "urgent") or $contains(input.subject, "asap"))');
  await deployWorkflow(server.keel.db, { source: candidate, sourceName: 'triage.yaml', stage: 'testing', actor: builder.email });
});
afterAll(async () => {
  await server.stop();
});

describe('keel shadow', () => {
  it('starts a shadow, shows agreement and the disagreement side by side, lists it, and refuses to stop a finished one', async () => {
    expect((await keel('shadow', 'start', 'triage')).code).toBe(2);
    const started = await keel('shadow', 'start', 'triage', '--version', '2', '--max-runs', '2', '--json');
    expect(started.code, started.stderr + started.stdout).toBe(0);
    const { id, compare } = parseJson<{ id: string; compare: { path: string } }>(started);
    expect(compare.path).toBe('steps.done');

    const db = server.keel.db;
    const start = async (subject: string) => (await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject } })).run.id;
    const same = await start('printer is out of paper');
    const asap = await start('reply asap please');
    for (const run of [same, asap]) await waitForRun(db, run, ['succeeded']);
    const deadline = Date.now() + 20_000;
    while ((await getShadow(db, id)).status !== 'finished') {
      if (Date.now() > deadline) throw new Error('the shadow did not finish');
      await advanceShadows({ db });
      await new Promise((r) => setTimeout(r, 25));
    }

    const show = await keel('shadow', 'show', 'triage', id);
    expect(show.code, show.stderr).toBe(0);
    expect(show.out[0]).toMatch(new RegExp(`^${id}  triage v2 shadowing production \\(mirror\\): finished; 2 of 2 pairs compared$`));
    expect(show.stdout).toContain('agreement with the live version 50.0 % (1 of 2)');
    expect(show.stdout).toContain('agreement with people - (0 of 0 decided)');
    expect(show.stdout).toMatch(/latency p50\s+\d+ ms\s+\d+ ms/);
    expect(show.stdout).toContain(`live ${asap} {"handled":true,"priority":"normal"}  shadow `);
    expect(show.stdout).not.toContain(same);

    const list = await keel('shadow', 'list', 'triage');
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+v2 vs production\\s+mirror\\s+finished\\s+live 50.0 %`));
    const stop = await keel('shadow', 'stop', 'triage', id);
    expect(stop.code).not.toBe(0);
    expect(stop.stderr).toContain('only a running one can be stopped');
  }, 40_000);
});
