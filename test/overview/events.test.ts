// The event stream behind live updates, read as a browser reads it: `ready` first, then the changes
// of runs and review tasks made after connecting, only those the person may see; a real server's
// stop ends the streams still open instead of waiting on them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, simple } from './fixture.js';

interface Received { event: string; data: Record<string, unknown> }

/** Reads server-sent events from a response body; `until` waits for an event matching a test, failing if the stream ends first. */
function eventReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Received[] = [];
  let buffer = '';
  let ended = false;
  const read = async () => {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return;
    }
    buffer += value;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const lines = block.split('\n').filter((l) => !l.startsWith(':'));
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (event) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  };
  return {
    events,
    async until(test: (e: Received) => boolean): Promise<Received> {
      for (;;) {
        const found = events.find(test);
        if (found) return found;
        if (ended) throw new Error(`the stream ended without the event; received ${JSON.stringify(events)}`);
        await read();
      }
    },
    /** Resolves when the server ends the stream. */
    async end(): Promise<void> {
      while (!ended) await read();
    },
    cancel: () => reader.cancel(),
  };
}

const reviewed = (id: string) => simple(id, `  - id: check
    kind: review
    title: Look at it`);

describe.each(testDatabases())('the event stream on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let engine: ReturnType<typeof testEngine>;

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db, { overview: { pollMs: 100 } });
    await deploy(db, reviewed('seen'));
    await deploy(db, reviewed('hidden'));
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterAll(async () => {
    await app.closeStreams();
    await engine.stop();
    await db.close();
  });

  const open = async (token: string) => {
    const res = await withToken(app, token).request('/api/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = eventReader(res);
    await stream.until((e) => e.event === 'ready');
    return stream;
  };

  it('sends the changes of runs and review tasks started after connecting, of the workflows the person may see', async () => {
    const owner = await open(await memberOf(db, { seen: ['owner'] }));
    // The same person's token scoped to runs: their review changes are not theirs to read through it.
    const runsOnly = await open(await memberOf(db, { seen: ['owner'] }, ['workflows:read', 'runs:read']));
    try {
      // The hidden workflow's run goes first and waits for its review before the seen one starts,
      // so every change of it is in the database before the changes the streams are read up to.
      const hidden = (await startRun(db, { workflowId: 'hidden', stage: 'production', trigger: 'manual', input: {} })).run;
      await waitForRun(db, hidden.id, ['waiting']);
      const seen = (await startRun(db, { workflowId: 'seen', stage: 'production', trigger: 'manual', input: {} })).run;
      await waitForRun(db, seen.id, ['waiting']);

      const waiting = await owner.until((e) => e.event === 'run' && e.data.id === seen.id && e.data.status === 'waiting');
      expect(waiting.data).toEqual({ id: seen.id, workflow_id: 'seen', status: 'waiting', stage: 'production', at: expect.any(String) });
      const task = await owner.until((e) => e.event === 'review' && e.data.run_id === seen.id);
      expect(task.data).toEqual({ id: expect.stringMatching(/./), workflow_id: 'seen', run_id: seen.id, status: 'pending', at: expect.any(String) });
      // Every change above has been handed to both streams now (the feed gives each batch to all at
      // once), so a run started from here arrives after anything either stream should not have got.
      const later = (await startRun(db, { workflowId: 'seen', stage: 'production', trigger: 'manual', input: {} })).run;
      for (const stream of [owner, runsOnly]) await stream.until((e) => e.event === 'run' && e.data.id === later.id);
      expect(runsOnly.events.some((e) => e.data.id === seen.id && e.data.status === 'waiting')).toBe(true);

      expect(owner.events.filter((e) => e.data.workflow_id === 'hidden')).toEqual([]);
      expect(runsOnly.events.filter((e) => e.data.workflow_id === 'hidden' || e.event === 'review')).toEqual([]);
    } finally {
      await owner.cancel();
      await runsOnly.cancel();
    }
  });

  it('lets go of a stream the client closed, and ends the open ones when the server stops', async () => {
    const admin = (await createTestIdentity(db, ['admin'])).token;
    const gone = await open(admin);
    await gone.cancel();
    const stays = await open(admin);
    await app.closeStreams();
    await stays.end();
  });
});

describe('a running server with an open event stream', () => {
  it('delivers a run started after connecting, and stops without waiting on the stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-events-'));
    const config = loadConfig({ env: {}, file: join(dir, 'none.yaml'), flags: { server: { port: 0 }, database: { dataDir: join(dir, 'data') }, workflowsDir: join(dir, 'wf'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent' } });
    const keel = await startKeel(config, { http: true, workers: true, scheduler: false, loadWorkflows: false });
    let stopped = false;
    try {
      await deploy(keel.db, simple('live'));
      const { token } = await createTestIdentity(keel.db, ['admin']);
      const headers = { authorization: `Bearer ${token}` };
      const stream = eventReader(await fetch(`${keel.url}/api/events`, { headers }));
      await stream.until((e) => e.event === 'ready');
      const started = await fetch(`${keel.url}/api/workflows/live/runs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"input":{}}' });
      const { run_id } = (await started.json()) as { run_id: string };
      await stream.until((e) => e.event === 'run' && e.data.id === run_id && e.data.status === 'succeeded');
      await keel.stop();
      stopped = true;
      await stream.end();
    } finally {
      if (!stopped) await keel.stop();
    }
  }, 60_000);
});
