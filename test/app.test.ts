import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKeel } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { moveDeploymentIn } from '../src/registry/index.js';
import { oneStepWorkflow } from './support/harness.js';

const configIn = (dir: string, port: number) =>
  loadConfig({ env: {}, file: join(dir, 'none.yaml'), flags: { server: { port }, database: { dataDir: join(dir, 'data') }, workflowsDir: join(dir, 'wf'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent' } });

describe('starting Keel', () => {
  it('fails clearly when the port is taken, and releases its database', async () => {
    const first = await startKeel(configIn(mkdtempSync(join(tmpdir(), 'keel-a-')), 0), { http: true, workers: false, scheduler: false, loadWorkflows: false });
    try {
      const port = Number(new URL(first.url!).port);
      const dir = mkdtempSync(join(tmpdir(), 'keel-b-'));
      await expect(startKeel(configIn(dir, port), { http: true, workers: true, scheduler: true, loadWorkflows: false }))
        .rejects.toMatchObject({ code: 'misconfigured', message: expect.stringContaining(`${port}`) });
      // The failed start closed its embedded database, so the folder can be opened again.
      const again = await startKeel(configIn(dir, 0), { http: false, workers: false, scheduler: false, loadWorkflows: false });
      await again.stop();
    } finally {
      await first.stop();
    }
  }, 60_000);

  it('loads a file into its loadStage only through the gate: a new version waits on design, one that ran there stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-load-'));
    mkdirSync(join(dir, 'wf'));
    writeFileSync(join(dir, 'wf', 'notes.yaml'), oneStepWorkflow('notes'));
    const config = loadConfig({
      env: {}, file: join(dir, 'none.yaml'),
      flags: { database: { dataDir: join(dir, 'data') }, workflowsDir: join(dir, 'wf'), connectorsDir: join(dir, 'connectors'), logLevel: 'warn', loadStage: 'production' },
    });
    const start = (lines: string[]) => startKeel(config, { http: false, workers: false, scheduler: false, loadWorkflows: true }, createLogger('warn', { write: (l: string) => { lines.push(l); } }));
    const warnings = (lines: string[]) => lines.map((l) => JSON.parse(l) as { msg: string; missing?: string[] }).filter((l) => l.msg.includes('cannot enter production'));

    const firstLines: string[] = [];
    const first = await start(firstLines);
    try {
      const stages = await first.db.query<{ stage: string; version_id: string }>(`SELECT stage, version_id FROM deployments WHERE workflow_id = 'notes'`);
      expect(stages.rows.map((r) => r.stage)).toEqual(['design']);
      const [warning] = warnings(firstLines);
      expect(warning?.msg).toMatch(/Loaded into design instead/);
      expect(warning?.missing).toEqual(expect.arrayContaining([expect.stringMatching(/^At least 30 sandbox outputs of v1 decided by people/)]));
      // Put into production the way a passed gate would (the gates have their own tests).
      await first.db.transaction((tx) => moveDeploymentIn(tx, 'notes', 'production', stages.rows[0]!.version_id, 'test'));
    } finally {
      await first.stop();
    }
    const againLines: string[] = [];
    const again = await start(againLines);
    try {
      const stages = await again.db.query<{ stage: string }>(`SELECT stage FROM deployments WHERE workflow_id = 'notes' ORDER BY stage`);
      expect(stages.rows.map((r) => r.stage)).toEqual(['design', 'production']);
      expect(warnings(againLines)).toEqual([]);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
