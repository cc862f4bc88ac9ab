// Fencing: a worker that lost its lease (its process was paused past the lease, its run taken over)
// writes nothing and starts no side effect when it wakes up, because every write it makes carries
// its lease token and the run no longer has it.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/errors.js';
import { migrate, openPostgres, type Db } from '../../src/db/index.js';
import { getRun, listAttempts, startRun, type AttemptRow, type RunRow } from '../../src/engine/index.js';
import { claimRuns, renewLease } from '../../src/engine/lease.js';
import {
  completeStep, endRun, interruptAttempt, openAttempt, scheduleRetry, startEffect, suspendRun, type Lease,
} from '../../src/engine/transitions.js';
import { createPostgresDatabase, postgresTestUrl, testDatabases } from '../support/databases.js';
import { deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess } from '../support/target-connector.js';
import { killWorkerChildren, startWorkerChild, type WorkerChild } from '../support/worker-process.js';

const leaseMs = 1_000;
const fastLease = { leaseMs, heartbeatMs: 250 };

/** An unsafe action: the target does not deduplicate, so a second call by a stale worker would show. */
const notify = () => `
id: notify
title: Notify once
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: post
    kind: action
    connector: target-unsafe
    action: send
    with: { method: '"POST"', path: '"/unsafe"', body: '{ "hello": "world" }' }
    delivery: unsafe
  - id: record
    kind: transform
    expression: '{ "posted": steps.post.status }'
${targetAccess('target-unsafe')}`;

async function snapshot(db: Db, runId: string): Promise<{ run: RunRow; attempts: AttemptRow[] }> {
  return { run: await getRun(db, runId), attempts: await listAttempts(db, runId) };
}

/** Waits until the kernel reports the process stopped (state T), where /proc exists. */
async function waitStopped(pid: number, timeoutMs = 5_000): Promise<void> {
  if (!existsSync('/proc')) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    if (state === 'T') return;
    if (Date.now() > deadline) throw new Error(`process ${pid} is in state ${state}, not stopped`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitLeaseExpired(db: Db, runId: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ expired: boolean }>(`SELECT lease_expires_at < now() AS expired FROM runs WHERE id = $1`, [runId]);
    if (r.rows[0]?.expired) return;
    if (Date.now() > deadline) throw new Error(`the lease on run ${runId} did not expire`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Two processes sharing one database: PostgreSQL only (a PGlite data folder is opened by one
// process at a time). On PGlite the same guarantee is checked in-process further below.
if (!postgresTestUrl) console.warn('NOTICE: KEEL_TEST_DATABASE_URL is not set; the PostgreSQL fencing tests with a stopped worker process are skipped.');

describe.skipIf(!postgresTestUrl)('a worker process stopped past its lease, on postgres', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let target: Target;
  let engine: ReturnType<typeof testEngine> | undefined;
  let url: string;

  beforeEach(async () => {
    const created = await createPostgresDatabase(postgresTestUrl!);
    url = created.url;
    drop = created.drop;
    db = await openPostgres({ url, poolSize: 4 });
    await migrate(db);
    target = await startTarget();
    await saveTargetConnector(db, target.url, 'unsafe');
    await deployGranted(db, notify());
  });
  afterEach(async () => {
    await killWorkerChildren();
    await engine?.stop();
    engine = undefined;
    await db.close();
    await drop();
    await target.close();
  });

  /** Starts a child armed to stop itself at `point`, and a run it claims and stops on. */
  async function stalledWorker(point: string): Promise<{ child: WorkerChild; runId: string; token: string }> {
    const child = startWorkerChild({
      DATABASE_URL: url, KEEL_LEASE_MS: String(leaseMs), KEEL_HEARTBEAT_MS: '250', KEEL_POLL_MS: '200', KEEL_FAULTS: `stop@${point}:post`,
    });
    await child.ready;
    const { run } = await startRun(db, { workflowId: 'notify', stage: 'production', trigger: 'manual', input: {} });
    await child.waitStderr(new RegExp(`^KEEL_FAULT_FIRED ${point}:post stop$`, 'm'), 15_000);
    await waitStopped(child.pid);
    const held = await getRun(db, run.id);
    expect(held.status).toBe('running');
    expect(held.lease_owner).toContain(`:${child.pid}:`);
    return { child, runId: run.id, token: held.lease_token! };
  }

  /** Another worker takes the run over once the stopped one's lease has run out, then stops. */
  async function takeOver(runId: string, until: 'succeeded' | 'outcome_unknown'): Promise<void> {
    await waitLeaseExpired(db, runId);
    engine = testEngine(db, { workers: fastLease });
    await engine.startWorkers();
    await waitForRun(db, runId, [until]);
    await engine.stop();
    expect(engine.errors).toEqual([]);
  }

  /** Resumes the stopped worker, lets its timers and its interrupted step run, then stops it. */
  async function resume(child: WorkerChild): Promise<void> {
    child.signal('SIGCONT');
    await new Promise((r) => setTimeout(r, 4 * 250));
    // SIGTERM: the child waits for the runs in hand (its stale one included) before exiting 0.
    expect(await child.stop()).toEqual({ code: 0, signal: null });
    expect(child.stderr).not.toContain('KEEL_CHILD_ERROR');
  }

  it('starts no side effect when it wakes up before its effect', async () => {
    const { child, runId, token } = await stalledWorker('before-effect');
    await takeOver(runId, 'succeeded');
    expect(target.effects).toHaveLength(1);
    const before = await snapshot(db, runId);

    await resume(child);

    expect(target.effects).toHaveLength(1);
    expect(await snapshot(db, runId)).toEqual(before);
    // Its only row is the approval boundary's verdict, written while it still held the lease.
    const stale = await db.query<{ step_id: string }>(`SELECT step_id FROM step_attempts WHERE lease_token = $1`, [token]);
    expect(stale.rows).toEqual([{ step_id: 'approval' }]);
  });

  it('writes nothing when it wakes up after its call, so the run stays in outcome_unknown', async () => {
    const { child, runId, token } = await stalledWorker('after-call');
    expect(target.effects).toHaveLength(1);
    // Its call was made and its attempt says the effect started: the successor cannot know more.
    await takeOver(runId, 'outcome_unknown');
    const before = await snapshot(db, runId);
    const own = before.attempts.filter((a) => a.lease_token === token);
    expect(own.map((a) => [a.step_id, a.status, a.effect])).toEqual([['approval', 'succeeded', null], ['post', 'interrupted', 'started']]);

    await resume(child);

    // Its completion of the step (output, state, status succeeded) was refused: nothing changed.
    expect(await snapshot(db, runId)).toEqual(before);
    expect(target.effects).toHaveLength(1);
  });
});

describe.each(testDatabases())('a worker whose lease was taken over, on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
    // Nothing listens on port 9: the transitions are fenced before any call is made.
    await saveTargetConnector(db, 'http://127.0.0.1:9', 'unsafe');
    await deployGranted(db, notify());
  });
  afterEach(async () => {
    await db.close();
  });

  it('can no longer renew its lease, record an effect or any step outcome, nor move the run', async () => {
    const { run } = await startRun(db, { workflowId: 'notify', stage: 'production', trigger: 'manual', input: {} });
    const [claimed] = await claimRuns(db, 'old-worker', 1, 1);
    const old: Lease = { runId: run.id, token: claimed!.lease_token!, leaseMs, owner: 'old-worker' };
    const facts = { stepId: 'post', kind: 'action', attempt: 1, startedAt: new Date() };
    // While it holds the lease its writes go through.
    const attemptId = await startEffect(db, old, facts, 'unsafe', `${run.id}:post`);

    // It stalls past its lease; another worker claims the run and gets a new token.
    await new Promise((r) => setTimeout(r, 20));
    const [taken] = await claimRuns(db, 'new-worker', 1, 60_000);
    expect(taken?.id).toBe(run.id);
    expect(taken!.lease_token).not.toBe(old.token);
    const before = await snapshot(db, run.id);

    const stale: Array<[string, () => Promise<unknown>]> = [
      ['startEffect', () => startEffect(db, old, { ...facts, attempt: 2 }, 'unsafe', `${run.id}:post`)],
      ['openAttempt', () => openAttempt(db, old, { ...facts, attempt: 2 })],
      ['interruptAttempt', () => interruptAttempt(db, old, attemptId, { code: 'internal', message: 'x', retriable: true })],
      ['completeStep on its attempt', () => completeStep(db, old, { ...facts, attemptId }, { status: 201 }, 'record')],
      ['completeStep ending the run', () => completeStep(db, old, { ...facts, attempt: 2 }, { status: 201 }, null)],
      ['scheduleRetry', () => scheduleRetry(db, old, { ...facts, attempt: 2 }, { code: 'action_failed', message: 'x', retriable: true }, 10)],
      ['endRun failed', () => endRun(db, old, { ...facts, attempt: 2 }, 'failed', { error: { code: 'internal', message: 'x', retriable: false } })],
      ['endRun rejected', () => endRun(db, old, { ...facts, attempt: 2 }, 'rejected', { output: null })],
      ['endRun outcome_unknown', () => endRun(db, old, { ...facts, attempt: 2 }, 'outcome_unknown', {})],
      ['suspendRun', () => suspendRun(db, old, { ...facts, attempt: 2 }, 'review')],
    ];
    for (const [name, write] of stale) {
      const error = await write().then(() => undefined, (e: unknown) => e);
      expect(isKeelError(error, 'fenced'), `${name} was not fenced: ${String(error)}`).toBe(true);
    }
    expect(await renewLease(db, run.id, old.token, leaseMs)).toBe(false);

    expect(await snapshot(db, run.id)).toEqual(before);
    const r = await db.query(`SELECT count(*)::int AS n FROM step_attempts WHERE lease_token = $1`, [old.token]);
    expect(r.rows).toEqual([{ n: 1 }]);
  });
});
