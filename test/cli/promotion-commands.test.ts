// `keel gates`, `keel promote`, `keel drill`, `keel eval` against a real Keel over loopback HTTP: the
// gate printed item by item, a refused promotion printing every unmet item and exiting non-zero, a
// drill where nothing is on sandbox refused with what to do, and a version without an evals section
// refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let builder: TestIdentity;
const keel = (...argv: string[]) => runCli(argv, { KEEL_URL: server.url, KEEL_TOKEN: builder.token });

beforeAll(async () => {
  server = await startTestKeel();
  builder = await createTestIdentity(server.keel.db, ['builder']);
});
afterAll(async () => {
  await server.stop();
});

describe('keel gates, promote, drill and eval', () => {
  it('prints the gate into production item by item', async () => {
    const r = await keel('gates', 'triage', '--to', 'production', '--version', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out[0]).toMatch(/^triage v1 into production \(from sandbox; author keel:startup\): \d+ of \d+ items missing$/);
    expect(r.out).toContainEqual(expect.stringMatching(/^ {2}\[ \] At least 30 sandbox outputs of v1 decided by people: 0 decided/));
    expect(r.out).toContainEqual(expect.stringMatching(/^ {2}\[ \] Signed by the owner: waiting for someone with the owner role/));
    expect(r.out).toContainEqual(expect.stringMatching(/^ {2}\[x\] Changes to production approved: /));
  });

  it('refuses a promotion with every unmet item, and exits non-zero', async () => {
    const r = await keel('promote', 'triage', '--to', 'production', '--version', '1');
    expect(r.code).toBe(1);
    const text = r.err.join('\n');
    expect(text).toMatch(/v1 of triage cannot enter production: \d+ of \d+ gate items are not met/);
    expect(text).toMatch(/reviewed_sample: At least 30 sandbox outputs/);
    expect(text).toMatch(/rollback_drill: Rollback drill run on v1/);
    expect(text).toMatch(/keel gates triage --to production/);
    expect((await keel('promote', 'triage')).code).toBe(2);
  });

  it('refuses a drill with nothing on sandbox, and an eval of a version without an evals section', async () => {
    const drill = await keel('drill', 'triage');
    expect(drill.code).toBe(1);
    expect(drill.err.join('\n')).toMatch(/nothing of triage is deployed there[\s\S]*keel promote triage --to sandbox/);
    const evalRun = await keel('eval', 'run', 'triage', '--no-wait');
    expect(evalRun.code).toBe(1);
    expect(evalRun.err.join('\n')).toMatch(/has no evals section/);
    expect((await keel('eval', 'run', 'triage', '--concurrency', 'many')).code).toBe(2);
  });
});
