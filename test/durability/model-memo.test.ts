// A model's answer is paid for once. A worker process is SIGKILLed right after the model answered
// (before the step's result was stored) and right after the step's result was stored; the next
// worker finishes the run from what was kept, and the model server on loopback has seen exactly one
// request for it. On PGlite and on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite, openPostgres, type Db } from '../../src/db/index.js';
import { getRun } from '../../src/engine/index.js';
import { listModelCalls } from '../../src/models/index.js';
import { createPostgresDatabase, openPgliteFolder, postgresTestUrl } from '../support/databases.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { deploy } from '../support/harness.js';
import { killWorkerChildren, startWorkerChild } from '../support/worker-process.js';

const timings = { KEEL_LEASE_MS: '2000', KEEL_HEARTBEAT_MS: '250', KEEL_POLL_MS: '200', KEEL_SWEEP_MS: '200' };

const workflow = `
id: memo
title: A model answer is kept
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [question], properties: { question: { type: string } } }
steps:
  - id: reply
    kind: model
    template: "Answer: {{ input.question }}"
    output_schema: { type: object, required: [reply], properties: { reply: { type: string } } }
  - id: done
    kind: transform
    expression: '{ "sent": steps.reply.reply }'
`;

interface Database { env: Record<string, string>; open(): Promise<Db>; drop(): Promise<void> }

async function pglite(): Promise<Database> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-memo-'));
  const db = await openPgliteFolder(dataDir);
  await migrate(db);
  await deploy(db, workflow);
  await db.close();
  return { env: { KEEL_DATA_DIR: dataDir }, open: () => openPglite({ dataDir, fsync: false }), drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

async function postgres(base: string): Promise<Database> {
  const created = await createPostgresDatabase(base);
  const db = await openPostgres({ url: created.url, poolSize: 2 });
  await migrate(db);
  await deploy(db, workflow);
  await db.close();
  return { env: { DATABASE_URL: created.url }, open: () => openPostgres({ url: created.url, poolSize: 2 }), drop: created.drop };
}

const databases: Array<[string, () => Promise<Database>]> = [['pglite', pglite]];
const pgUrl = postgresTestUrl;
if (pgUrl) databases.push(['postgres', () => postgres(pgUrl)]);

let llm: FakeLlmServer;
beforeAll(async () => { llm = await startFakeLlmServer(); });
afterAll(async () => { await llm.close(); });
afterEach(async () => { await killWorkerChildren(); });

describe.each(databases)('a model answer survives a crash on %s', (_name, make) => {
  it.each(['after-call', 'after-commit'])('is not asked again when the worker dies %s', async (point) => {
    llm.reset();
    llm.script('openai', { text: '{"reply": "Your card is on its way."}', tokensIn: 12, tokensOut: 8 }, { text: '{"reply": "A second, paid-for answer."}' });
    const database = await make();
    try {
      const env = { ...database.env, ...timings, KEEL_OPENAI_BASE_URL: `${llm.url}/v1`, KEEL_CHILD_WATCH: '1' };
      const doomed = startWorkerChild({ ...env, KEEL_FAULTS: `${point}:reply` });
      await doomed.ready;
      const runId = await doomed.startRun({ workflowId: 'memo', input: { question: 'Where is my card?' } });
      await doomed.exited;
      expect(doomed.faultsFired()).toEqual([`${point}:reply`]);
      expect(llm.requests).toHaveLength(1);

      const successor = startWorkerChild(env);
      await successor.ready;
      await successor.waitSettled([runId], 15_000);
      expect(successor.settled.get(runId)?.status).toBe('succeeded');
      await successor.stop();

      const db = await database.open();
      try {
        const run = await getRun(db, runId);
        expect(run.output).toEqual({ sent: 'Your card is on its way.' });
        expect(llm.requests).toHaveLength(1);
        expect(llm.pending('openai')).toBe(1);
        const calls = await listModelCalls(db, runId);
        expect(calls.map((c) => [c.stepId, c.tokensIn, c.tokensOut, c.errorClass])).toEqual([['reply', 12, 8, null]]);
      } finally {
        await db.close();
      }
    } finally {
      await database.drop();
    }
  }, 60_000);
});
