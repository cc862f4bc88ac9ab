// Crash recovery, proven by really killing worker processes. For every fault point and every
// delivery class, on PGlite and on PostgreSQL, a child worker armed with that point on the run's
// action step SIGKILLs itself there, and the next worker must take the run over: the armed point
// fired, no run is lost, the idempotent and check-then-act targets saw exactly one effect, the
// unsafe target at most one (and the run waits in outcome_unknown when the call may have happened),
// and the run is terminal or waiting within 3 leases of its successor starting.
//
// A worker process costs seconds to start, so the cases of one database form a chain of child
// processes on one database: child k takes over (recovers) the run child k-1 was killed on, and
// only once that run has settled is the run of case k started, on child k, which its armed point
// then kills. The fault child k carries is on case k's own action step (every case has its own
// workflow and step id), so it cannot fire while child k recovers the previous run; the last child
// carries no fault at all. Both chains run side by side, each on a fresh database (a PGlite data
// folder opens in one process at a time, so the test reads it only once its last child is gone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite, openPostgres, type Db } from '../../src/db/index.js';
import { listAttempts, listRuns, type AttemptRow, type RunRow } from '../../src/engine/index.js';
import { createPostgresDatabase, openPgliteFolder, postgresTestUrl } from '../support/databases.js';
import { deployGranted } from '../support/harness.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess } from '../support/target-connector.js';
import { killWorkerChildren, startWorkerChild, type ChildExit } from '../support/worker-process.js';

// Short, so a dead worker's run is taken over quickly, yet long enough that a live worker whose
// process is starved of CPU for a moment (cold start, a busy 2-core CI machine) keeps its lease.
const leaseMs = 2_000;
const timings = { KEEL_LEASE_MS: String(leaseMs), KEEL_HEARTBEAT_MS: '250', KEEL_POLL_MS: '200', KEEL_SWEEP_MS: '200' };
/**
 * How long the test waits for a run to settle (and for an armed point to fire): more than the
 * 3-lease bound asserted on each case, but short enough that a broken chain fails within the hook.
 */
const patience = 5 * leaseMs;
const firePatience = 15_000;

const points = ['before-effect', 'before-call', 'after-call', 'after-commit'] as const;
const deliveries = ['idempotent', 'check-then-act', 'unsafe'] as const;
type Point = (typeof points)[number];
type Delivery = (typeof deliveries)[number];

interface Case {
  point: Point;
  delivery: Delivery;
  workflowId: string;
  /** The action step, named after the case so a fault armed on it fires on this case only. */
  step: string;
  status: 'succeeded' | 'outcome_unknown';
  effects: number;
}

/** Between before-call and after-commit the effect is recorded as started but not as done. */
const effectMayHaveHappened = (point: Point) => point === 'before-call' || point === 'after-call';

const cases: Case[] = points.flatMap((point) => deliveries.map((delivery): Case => {
  const unknown = delivery === 'unsafe' && effectMayHaveHappened(point);
  return {
    point, delivery, workflowId: `crash-${point}-${delivery}`, step: `${point}-${delivery}`,
    status: unknown ? 'outcome_unknown' : 'succeeded',
    // An unsafe call is never repeated: it reached the target only if the worker died after it.
    effects: unknown && point === 'before-call' ? 0 : 1,
  };
}));

/**
 * The action step, then a transform, so a worker killed after committing the action leaves the run
 * mid-way. The check-then-act and unsafe calls go to the target's `/unsafe` path, which ignores
 * Idempotency-Key: there only our own check (or our refusal to repeat) can prevent a duplicate.
 */
function workflow(c: Case): string {
  const path = c.delivery === 'idempotent' ? '/tickets' : '/unsafe';
  return `
id: ${c.workflowId}
title: Crash at ${c.point} on a ${c.delivery} action
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input:
  type: object
  required: [n]
  properties: { n: { type: integer } }
steps:
  - id: ${c.step}
    kind: action
    connector: target-${c.delivery}
    action: send
    with: { method: '"POST"', path: '"${path}"', body: '{ "n": input.n }' }
    delivery: ${c.delivery}
  - id: record
    kind: transform
    expression: '{ "posted": steps.\`${c.step}\`.status }'
${targetAccess(`target-${c.delivery}`)}`;
}

/** A fresh, migrated database with every case's workflow deployed. */
interface TestDb {
  name: 'pglite' | 'postgres';
  /** What tells a worker child which database to open. */
  env: Record<string, string>;
  /** Opens it in this process; on PGlite only while no child has it open. */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

async function prepare(db: Db, target: Target): Promise<void> {
  await migrate(db);
  for (const delivery of deliveries) await saveTargetConnector(db, target.url, delivery);
  for (const c of cases) await deployGranted(db, workflow(c));
  await db.close();
}

async function pgliteDb(target: Target): Promise<TestDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-crash-'));
  await prepare(await openPgliteFolder(dataDir), target);
  return {
    name: 'pglite',
    env: { KEEL_DATA_DIR: dataDir },
    open: () => openPglite({ dataDir, fsync: false }),
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function postgresDb(baseUrl: string, target: Target): Promise<TestDb> {
  const created = await createPostgresDatabase(baseUrl);
  await prepare(await openPostgres({ url: created.url, poolSize: 2 }), target);
  return {
    name: 'postgres',
    env: { DATABASE_URL: created.url },
    open: () => openPostgres({ url: created.url, poolSize: 2 }),
    drop: created.drop,
  };
}

/** What happened to one case's run, gathered by the chain and then read back from the database. */
interface CaseRecord {
  runId?: string;
  /** The child armed on this case's step: how it ended and which points it reported firing. */
  killed?: { exit: ChildExit; fired: string[] };
  /** The next child: when it was ready and when it reported this run terminal or waiting. */
  successor?: { readyAt: number; settled?: { status: string; at: number } };
  /** What kept the chain from doing its part for this case. */
  failure?: string;
  run?: RunRow;
  attempts: AttemptRow[];
}

interface ChainRecord {
  cases: Map<string, CaseRecord>;
  /** How the last child (no fault armed) stopped on SIGTERM. */
  lastExit?: ChildExit;
  /** Errors the children reported on stderr (`KEEL_CHILD_ERROR ...`). */
  childErrors: string[];
  runs: RunRow[];
}

async function runChain(testDb: TestDb): Promise<ChainRecord> {
  const chain: ChainRecord = { cases: new Map(cases.map((c) => [c.step, { attempts: [] }])), childErrors: [], runs: [] };
  let previous: CaseRecord | undefined;
  for (let k = 0; k <= cases.length; k++) {
    const c = cases[k];
    const record = c ? chain.cases.get(c.step)! : undefined;
    const child = startWorkerChild({
      ...testDb.env, ...timings, KEEL_CHILD_WATCH: '1', ...(c ? { KEEL_FAULTS: `${c.point}:${c.step}` } : {}),
    });
    try {
      const ready = await child.ready;
      if (previous?.runId) {
        const successor: NonNullable<CaseRecord['successor']> = { readyAt: ready.at };
        previous.successor = successor;
        await child.waitSettled([previous.runId], patience).catch((error: unknown) => {
          previous!.failure ??= `its run did not settle on the successor: ${String(error)}`;
        });
        successor.settled = child.settled.get(previous.runId);
      }
      if (!record || !c) {
        chain.lastExit = await child.stop();
        continue;
      }
      previous = record;
      record.runId = await child.startRun({ workflowId: c.workflowId, input: { n: k } });
      // The armed point must kill the child before the run gets anywhere near finishing.
      await Promise.race([
        child.exited,
        child.waitSettled([record.runId], firePatience).then(() => {
          throw new Error(`run ${record.runId} settled (${child.settled.get(record.runId!)?.status}) without the armed point killing its worker`);
        }),
      ]);
      record.killed = { exit: child.exit!, fired: child.faultsFired() };
    } catch (error) {
      if (previous && previous !== record && !previous.successor) previous.failure ??= `its successor did not start: ${String(error)}`;
      if (record) record.failure ??= String(error);
      if (!child.exit) await child.stop();
    } finally {
      chain.childErrors.push(...child.stderr.split('\n').filter((l) => l.startsWith('KEEL_CHILD_ERROR')));
    }
  }
  return chain;
}

/** Reads every run and attempt back once no child has the database open any more. */
async function readBack(testDb: TestDb, chain: ChainRecord): Promise<void> {
  const db = await testDb.open();
  try {
    chain.runs = await listRuns(db, { limit: 500 });
    for (const record of chain.cases.values()) {
      record.run = chain.runs.find((r) => r.id === record.runId);
      if (record.runId) record.attempts = await listAttempts(db, record.runId);
    }
  } finally {
    await db.close();
  }
}

const databaseNames: Array<TestDb['name']> = ['pglite'];
if (postgresTestUrl) databaseNames.push('postgres');
else console.warn('NOTICE: KEEL_TEST_DATABASE_URL is not set; the PostgreSQL variants of the crash tests are skipped.');

let target: Target;
const testDbs: TestDb[] = [];
const chains = new Map<TestDb['name'], ChainRecord>();

beforeAll(async () => {
  target = await startTarget();
  testDbs.push(await pgliteDb(target));
  if (postgresTestUrl) testDbs.push(await postgresDb(postgresTestUrl, target));
  try {
    const records = await Promise.all(testDbs.map((d) => runChain(d)));
    // Only now: opening a PGlite folder here blocks this process (and the target it serves).
    for (const [i, d] of testDbs.entries()) {
      await readBack(d, records[i]!);
      chains.set(d.name, records[i]!);
    }
  } finally {
    await killWorkerChildren();
  }
}, 300_000);

afterEach(() => killWorkerChildren());

afterAll(async () => {
  await killWorkerChildren();
  for (const d of testDbs) await d.drop();
  await target?.close();
});

describe.each(databaseNames)('a worker killed mid-run on %s', (name) => {
  it.each(cases)('at $point on a $delivery action: the run ends $status with $effects effect(s), within 3 leases', (c) => {
    const chain = chains.get(name)!;
    const record = chain.cases.get(c.step)!;
    const effects = target.effects.filter((e) => e.key?.startsWith(`${record.runId}:`));
    const story = `case ${c.step} on ${name}, as recorded: ${JSON.stringify({ ...record, effects }, null, 1)}`;
    expect(record.failure, story).toBeUndefined();
    expect(record.killed, story).toEqual({ exit: { code: null, signal: 'SIGKILL' }, fired: [`${c.point}:${c.step}`] });

    // Recovered by the next worker: its lease runs out within one lease, claiming and finishing take the rest.
    const { readyAt, settled } = record.successor!;
    expect(settled?.status, story).toBe(c.status);
    expect(settled!.at - readyAt, story).toBeLessThanOrEqual(3 * leaseMs);

    const run = record.run!;
    expect(run.status).toBe(c.status);
    const key = `${run.id}:${c.step}`;
    const reached = target.effects.filter((e) => e.key === key);
    expect(reached, story).toHaveLength(c.effects);
    expect(reached.every((e) => e.path === (c.delivery === 'idempotent' ? '/tickets' : '/unsafe'))).toBe(true);

    const actions = record.attempts.filter((a) => a.step_id === c.step);
    const withEffect = actions.filter((a) => a.effect !== null);
    expect(withEffect.length).toBeGreaterThan(0);
    for (const a of withEffect) expect(a).toMatchObject({ delivery: c.delivery, idempotency_key: key });
    if (c.status === 'outcome_unknown') {
      expect(run.wait_reason).toBe('outcome_unknown');
      expect(run.error).toMatchObject({ code: 'outcome_unknown', retriable: false });
      // Only the approval boundary's verdict (auto) was stored: the action itself never completed.
      expect(run.state).toEqual({ approval: expect.objectContaining({ decision: 'auto' }) });
      expect(actions.some((a) => a.status === 'succeeded')).toBe(false);
    } else {
      expect(run.state).toMatchObject({ [c.step]: { status: expect.any(Number) }, record: { posted: expect.any(Number) } });
      expect(actions.filter((a) => a.status === 'succeeded')).toHaveLength(1);
    }
    if (c.point === 'after-commit') {
      // The step had been stored: the successor went on from the next step and never touched it again.
      expect(actions.map((a) => a.status)).toEqual(['succeeded']);
    }
  });

  it('loses no run, and every worker either died at its fault point or stopped cleanly without errors', () => {
    const chain = chains.get(name)!;
    const started = [...chain.cases.values()].map((r) => r.runId);
    expect(started.every((id) => id !== undefined)).toBe(true);
    expect(chain.runs.map((r) => r.id).sort()).toEqual([...started].sort());
    for (const run of chain.runs) expect(['succeeded', 'outcome_unknown']).toContain(run.status);
    expect(chain.lastExit).toEqual({ code: 0, signal: null });
    expect(chain.childErrors).toEqual([]);
  });
});
