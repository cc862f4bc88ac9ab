// The rules of gates, sign-offs and drills one by one, on a small workflow: what a sign-off needs
// (a role the gate names, a statement, a different person per role, never the author), withdrawing
// one, an accepted error rate that no longer holds once the rate rises, a stage moved back to a
// version it ran before without its gate, a file's gate overrides, and a drill whose older version
// does not flow (failed, sandbox put back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { KeelError } from '../../src/errors.js';
import { evaluateGate, promote, revokeSignoff, runDrill, signGate } from '../../src/promotion/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow as oneStep, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const flow = (extra = '', label = '"fine"') => `id: ledger
title: Ledger notes
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [text], properties: { text: { type: string } } }
steps:
  - id: note
    kind: transform
    expression: '{ "label": ${label} }'
  - id: check
    kind: review
    title: Check the note
${extra}`;

async function rejected(p: Promise<unknown>): Promise<KeelError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe.each(testDatabases())('gate rules on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;

  beforeAll(async () => {
    db = await database.open();
    engine = testEngine(db);
    await engine.startWorkers();
    await deploy(db, flow('gates: { production: { min_reviewed: 2, require_drill: false, require_monitors: false, signers: [approver] } }\n'), 'sandbox');
  });
  afterAll(async () => {
    await engine.stop();
    await db.close();
  });

  const sign = (role: 'approver' | 'owner' | 'builder', actor: string, statement = 'I checked the sandbox outputs and accept them.', roles: readonly string[] = [role]) =>
    signGate(db, { workflowId: 'ledger', version: '1', stage: 'production', role, statement, actor, actorRoles: roles });

  it('needs a role the gate names, a written statement, and one person per role', async () => {
    expect((await rejected(sign('owner', 'owner@example.com'))).problems).toEqual([
      { path: 'role', message: 'the gate into production is signed by approver, not owner' },
    ]);
    expect((await rejected(sign('approver', 'ana@example.com', 'ok'))).problems).toEqual([
      { path: 'statement', message: 'write what you checked and accept, in a sentence or more' },
    ]);
    expect((await rejected(sign('approver', 'ana@example.com', undefined, ['reviewer']))).code).toBe('permission_denied');
    // The version was stored by `test` (harness deploy): its author never signs it.
    expect((await rejected(sign('approver', 'test'))).message).toMatch(/test wrote v1/);
    const first = await sign('approver', 'ana@example.com');
    expect(first).toMatchObject({ role: 'approver', signed_by: 'ana@example.com', observed: { decided: 0, overridden: 0, errorRate: 0 } });
    expect((await rejected(sign('approver', 'bo@example.com'))).message).toMatch(/already given by ana@example.com/);
    expect((await rejected(revokeSignoff(db, { workflowId: 'ledger', id: first.id, actor: 'bo@example.com', isAdmin: false }))).code).toBe('permission_denied');
    await revokeSignoff(db, { workflowId: 'ledger', id: first.id, actor: 'ana@example.com', isAdmin: false });
    const gate = await evaluateGate(db, { workflowId: 'ledger', stage: 'production' });
    expect(gate.items.find((i) => i.id === 'signoff:approver')).toMatchObject({ met: false });
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'gate:%' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['gate:signed', 'gate:signoff_withdrawn']);
  });

  it("reads the file's overrides, and an accepted error rate stops counting once the rate rises", async () => {
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) runs.push((await startRun(db, { workflowId: 'ledger', stage: 'sandbox', trigger: 'manual', input: { text: `n${i}` } })).run.id);
    const decide = async (runId: string, decision: 'approve' | 'reject') => {
      await waitForRun(db, runId, ['waiting']);
      const [task] = await listReviews(db, { runId });
      await decideReview(db, { target: { reviewId: task!.id }, decision, comment: decision === 'reject' ? 'wrong' : undefined, actor: 'rita@example.com', actorRoles: ['reviewer'] }, wakeRun);
    };
    await decide(runs[0]!, 'approve');
    await decide(runs[1]!, 'reject');
    await sign('approver', 'cy@example.com', 'Two outputs decided; one of two rejected is what we expect of a first week.');
    const before = await evaluateGate(db, { workflowId: 'ledger', stage: 'production' });
    expect(before.items.map((i) => [i.id, i.met])).toEqual([
      ['reviewed_sample', true], ['runbook', false], ['owner_map', false], ['change_request', true], ['signoff:approver', true], ['error_rate_accepted', true],
    ]);
    await decide(runs[2]!, 'reject');
    const after = await evaluateGate(db, { workflowId: 'ledger', stage: 'production' });
    expect(after.items.find((i) => i.id === 'error_rate_accepted')).toMatchObject({ met: false, detail: expect.stringMatching(/66\.7 %/) });
    const refused = await rejected(promote(db, { workflowId: 'ledger', stage: 'production', actor: 'deployer@example.com' }));
    expect(refused.code).toBe('gate_not_met');
    expect(refused.problems.map((p) => p.path)).toEqual(['runbook', 'owner_map', 'error_rate_accepted']);
  });

  it('lets a person point a stage back at a version it ran before, and refuses a new one through the gate', async () => {
    await deploy(db, flow('', '"second"'), 'design');
    const api = withToken(testHttpApp(db, { gates: { enforce: true } }), (await createTestIdentity(db, ['admin'])).token);
    const put = (stage: string, version: string) => api.request(`/api/workflows/ledger/deployments/${stage}`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version }),
    });
    const refused = await put('sandbox', '2');
    expect(refused.status).toBe(409);
    const problem = await refused.json() as { code: string; problems: Array<{ path: string }> };
    expect(problem.code).toBe('gate_not_met');
    expect(problem.problems.map((p) => p.path)).toEqual(['eval', 'failure_modes', 'signoff:approver']);
    expect((await put('design', '1')).status).toBe(200);
    expect((await put('sandbox', '1')).status).toBe(200);
  });

  it('fails a drill whose older version does not flow, and puts the version back on sandbox', async () => {
    // v1 of `drilled` fails every run; v2 works: the drill must notice that the rollback target is broken.
    const drilled = (expression: string) => `id: drilled
title: Drilled
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: note
    kind: transform
    expression: '${expression}'
    retry: { max_attempts: 1 }
`;
    await deploy(db, drilled('$error("v1 is broken")'), 'sandbox');
    await deploy(db, drilled('{ "label": "works" }'), 'sandbox');
    const drill = await runDrill(db, { workflowId: 'drilled', actor: 'ops@example.com', input: {}, runTimeoutMs: 20_000 });
    expect(drill.status).toBe('failed');
    expect(drill.error).toMatch(/on v1 ended failed/);
    expect(drill.steps.map((s) => s.step)).toEqual(['rollback', 'roll_forward']);
    const sandbox = await db.query<{ version_id: string }>(`SELECT version_id FROM deployments WHERE workflow_id = 'drilled' AND stage = 'sandbox'`);
    expect(sandbox.rows[0]!.version_id).toBe(drill.version_id);
    const gate = await evaluateGate(db, { workflowId: 'drilled', stage: 'production' });
    expect(gate.items.find((i) => i.id === 'rollback_drill')).toMatchObject({ met: false, detail: expect.stringMatching(/failed: .*v1 ended failed/) });
  }, 60_000);

  it("drills a workflow's first version by pausing sandbox, checking triggers are refused, and resuming", async () => {
    await deploy(db, oneStep('first-only'), 'sandbox');
    const drill = await runDrill(db, { workflowId: 'first-only', actor: 'ops@example.com', input: {}, runTimeoutMs: 20_000 });
    expect(drill).toMatchObject({ status: 'passed', rolled_back_to: null, error: null });
    expect(drill.steps.map((s) => s.step)).toEqual(['rollback', 'triggers_refused', 'roll_forward', 'run_on_version']);
    expect(drill.steps[1]!.detail).toMatch(/refused with stage_paused/);
    const d = await db.query<{ paused: boolean }>(`SELECT paused FROM deployments WHERE workflow_id = 'first-only' AND stage = 'sandbox'`);
    expect(d.rows[0]!.paused).toBe(false);
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE subject_id = 'first-only' AND action LIKE 'deployment:%' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['deployment:moved', 'deployment:paused', 'deployment:resumed']);
  }, 60_000);
});
