// Scale-out on one PostgreSQL: two `keel serve --no-workers` processes take webhooks and both run the
// scheduler; two `keel worker` processes execute the runs. Real processes, real commands.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { killKeelProcesses, startKeelProcess } from '../support/cli-process.js';
import { createPostgresDatabase, postgresTestUrl } from '../support/databases.js';

const workflow = `
id: fanout
title: Fan-out test
owner: ops@example.com
risk: low
triggers:
  - webhook: {}
  - schedule: { cron: "* * * * * *" }
input: { type: object }
steps:
  - id: a
    kind: transform
    expression: '{ "n": input.n }'
  - id: b
    kind: transform
    expression: 'steps.a'
  - id: c
    kind: transform
    expression: 'steps.b'
`;

describe.skipIf(!postgresTestUrl)('scale-out on PostgreSQL', () => {
  afterEach(async () => {
    await killKeelProcesses();
  });

  it('splits runs across worker processes and fires each schedule tick once with two schedulers', async () => {
    const created = await createPostgresDatabase(postgresTestUrl!);
    const dir = mkdtempSync(join(tmpdir(), 'keel-scale-'));
    writeFileSync(join(dir, 'fanout.yaml'), workflow);
    // Its own configuration: the example's keel.yaml would have the API processes train its classifier meanwhile.
    writeFileSync(join(dir, 'keel.yaml'), `promptsDir: ${join(dir, 'no-prompts')}\n`);
    // Files loaded straight into production, as a development instance does (the gates have their own tests).
    const env = { DATABASE_URL: created.url, KEEL_WORKFLOWS_DIR: dir, KEEL_POLL_MS: '2000', KEEL_CONFIG: join(dir, 'keel.yaml'), KEEL_GATES_ENFORCE: 'false' };
    const db = await openPostgres({ url: created.url, poolSize: 2 });
    try {
      const scheduleStart = Date.now();
      const apiA = startKeelProcess(['serve', '--no-workers', '--port', '0'], env);
      const urlA = (await apiA.waitFor(/running at (http:\/\/[\d.:]+)/))[1]!;
      const apiB = startKeelProcess(['serve', '--no-workers', '--port', '0'], env);
      const urlB = (await apiB.waitFor(/running at (http:\/\/[\d.:]+)/))[1]!;
      const workers = [startKeelProcess(['worker'], env), startKeelProcess(['worker'], env)];
      await Promise.all(workers.map((w) => w.waitFor(/worker running/)));

      const posts = Array.from({ length: 60 }, (_, i) =>
        fetch(`${i % 2 ? urlA : urlB}/hooks/fanout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) }));
      expect((await Promise.all(posts)).every((r) => r.status === 202)).toBe(true);

      const deadline = Date.now() + 20_000;
      for (;;) {
        const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE trigger_kind = 'webhook' AND status = 'succeeded'`);
        if (r.rows[0]!.n === 60 || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      await new Promise((res) => setTimeout(res, 1_000));
      const elapsedTicks = Math.floor((Date.now() - scheduleStart) / 1000);
      await Promise.all([apiA.stop(), apiB.stop()]);

      const done = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE trigger_kind = 'webhook' AND status = 'succeeded'`);
      expect(done.rows[0]!.n).toBe(60);
      const byWorker = await db.query<{ worker: string; n: number }>(`SELECT worker, count(*)::int AS n FROM step_attempts GROUP BY worker`);
      expect(byWorker.rows.length).toBe(2);
      for (const w of byWorker.rows) expect(w.n).toBeGreaterThan(0);
      const attempts = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM step_attempts a JOIN runs r ON r.id = a.run_id WHERE r.trigger_kind = 'webhook'`);
      expect(attempts.rows[0]!.n).toBe(180);

      const ticks = await db.query<{ dedupe_key: string }>(`SELECT dedupe_key FROM runs WHERE trigger_kind = 'schedule'`);
      const keys = ticks.rows.map((t) => t.dedupe_key);
      expect(new Set(keys).size).toBe(keys.length);
      // Ticks while the first process was still starting are not owed; every later second is.
      expect(keys.length).toBeGreaterThanOrEqual(Math.max(1, elapsedTicks - 6));
      expect(keys.length).toBeLessThanOrEqual(elapsedTicks + 2);
      await Promise.all(workers.map((w) => w.stop()));
    } finally {
      await db.close();
      await created.drop();
    }
  }, 90_000);
});
