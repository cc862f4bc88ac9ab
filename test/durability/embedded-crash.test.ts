import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/index.js';
import { loadConfig } from '../../src/config/index.js';

// Why Keel turns PGlite's fsync on: without it a killed process loses commits it had acknowledged.
describe('the embedded database after SIGKILL', () => {
  it('keeps a commit acknowledged before the kill with the default settings', async () => {
    const fsync = loadConfig({ env: {}, file: '/nonexistent/keel.yaml' }).database.fsync;
    expect(fsync).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'keel-crash-'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/pglite-writer.ts', dir, String(fsync)], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stdout).toContain('COMMITTED');
    expect(child.signal).toBe('SIGKILL');
    const db = await openPglite({ dataDir: dir, fsync });
    try {
      const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM crash_probe');
      expect(r.rows[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
  }, 90_000);
});
