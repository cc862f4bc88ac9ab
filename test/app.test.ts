import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKeel } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';

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
});
