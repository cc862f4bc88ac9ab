import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine } from '../support/harness.js';

const scheduled = (cron: string) => `
id: nightly
title: Nightly digest
owner: ops@example.com
risk: low
triggers:
  - schedule: { cron: "${cron}", input: { kind: digest } }
input: { type: object, required: [kind], properties: { kind: { type: string } } }
steps:
  - id: noop
    kind: transform
    expression: 'input'
`;

describe.each(testDatabases())('schedules on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
  });
  afterEach(async () => {
    await db.close();
  });

  const runs = async () =>
    (await db.query<{ dedupe_key: string; trigger_kind: string; input: unknown }>(`SELECT dedupe_key, trigger_kind, input FROM runs ORDER BY dedupe_key`)).rows;

  it('fires a due tick once even when two schedulers tick at the same moment', async () => {
    await deploy(db, scheduled('0 3 * * *'));
    // Pretend the tick is due now and that a second process saw it at the same time.
    await db.query(`UPDATE schedules SET next_fire_at = now() - interval '1 second'`);
    const a = testEngine(db).scheduler;
    const b = testEngine(db).scheduler;
    const [fa, fb] = await Promise.all([a.tick(), b.tick()]);
    expect(fa + fb).toBe(1);
    const rows = await runs();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trigger_kind: 'schedule', input: { kind: 'digest' } });
    const next = await db.query<{ next_fire_at: Date }>(`SELECT next_fire_at FROM schedules`);
    expect(next.rows[0]!.next_fire_at.getTime()).toBeGreaterThan(Date.now());
  });

  it('makes one run for a tick replayed after the schedule row moved back (two leaders)', async () => {
    await deploy(db, scheduled('0 3 * * *'));
    await db.query(`UPDATE schedules SET next_fire_at = '2026-01-01T03:00:00Z'`);
    const s = testEngine(db).scheduler;
    await s.tick();
    await db.query(`UPDATE schedules SET next_fire_at = '2026-01-01T03:00:00Z'`);
    await s.tick();
    expect(await runs()).toHaveLength(1);
  });

  it('does not fire a paused stage and fires nothing before the first tick after deploy', async () => {
    await deploy(db, scheduled('0 3 * * *'));
    const s = testEngine(db).scheduler;
    expect(await s.tick()).toBe(0);
    await db.query(`UPDATE deployments SET paused = true`);
    await db.query(`UPDATE schedules SET next_fire_at = now() - interval '1 second'`);
    expect(await s.tick()).toBe(0);
    expect(await runs()).toHaveLength(0);
  });

  it('runs every second-level tick through the leader loop', async () => {
    await deploy(db, scheduled('* * * * * *'));
    const engine = testEngine(db);
    await engine.startScheduler();
    await new Promise((r) => setTimeout(r, 2_600));
    await engine.stop();
    const keys = (await runs()).map((r) => r.dedupe_key);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.length).toBeLessThanOrEqual(3);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
