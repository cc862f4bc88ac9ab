// `keel changes` against a real Keel over loopback HTTP: a builder asks for a change to the triage
// workflow in production, `show` prints its diff area by area, the builder cannot approve their own
// change, a rejection needs --note, and the owner approves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployWorkflow } from '../../src/registry/index.js';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { parseJson, runCli, startTestKeel, triageWorkflow, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let builder: TestIdentity;
let owner: TestIdentity;
const as = (who: { token: string }) => (...argv: string[]) => runCli(argv, { KEEL_URL: server.url, KEEL_TOKEN: who.token });

beforeAll(async () => {
  server = await startTestKeel();
  builder = await createTestIdentity(server.keel.db, ['builder']);
  owner = await createTestIdentity(server.keel.db, ['viewer'], 'ops@example.com');
  await deployWorkflow(server.keel.db, { source: `${triageWorkflow}exclusions: [refunds]\n`, sourceName: 'triage.yaml', stage: 'testing', actor: builder.email });
});
afterAll(async () => {
  await server.stop();
});

describe('keel changes', () => {
  it('requests, shows, refuses the requester, needs a note to reject, and is approved by the owner', async () => {
    const asked = await as(builder)('changes', 'request', 'triage', '--version', '2', '--reason', 'refunds go to finance', '--json');
    expect(asked.code, asked.stderr).toBe(0);
    const { id } = parseJson<{ id: string }>(asked);
    expect((await as(builder)('changes', 'request', 'triage', '--version', '2')).code).toBe(2);

    const list = await as(owner)('changes', 'triage');
    expect(list.code, list.stderr).toBe(0);
    expect(list.out[0]).toMatch(/^ID\s+CHANGE\s+AREAS\s+STATUS\s+BY\s+CREATED\s+DECIDED BY$/);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+v1 -> v2\\s+approval_boundary\\s+open\\s+${builder.email}`));

    const show = await as(owner)('changes', 'show', id);
    expect(show.code, show.stderr).toBe(0);
    expect(show.out).toEqual([
      `${id}  triage v1 -> v2  open`,
      expect.stringMatching(new RegExp(`^requested by ${builder.email} at \\S+ \\S+: refunds go to finance$`)),
      '',
      'approval boundary:',
      '  + exclusions[refunds]: "refunds"',
    ]);

    const own = await as(builder)('changes', 'approve', id);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('asked for change request');
    expect((await as(owner)('changes', 'reject', id)).code).toBe(2);

    const approved = await as(owner)('changes', 'approve', id, '--note', 'agreed with finance');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.out[0]).toBe(`${id}  triage v1 -> v2  approved`);
    expect(approved.stdout).toMatch(/approved by ops@example\.com at \S+ \S+: agreed with finance/);
    expect((await as(owner)('changes', 'triage', '--status', 'bogus')).code).toBe(2);
  });
});
