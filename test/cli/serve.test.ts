// `keel serve` end to end in-process: flags and KEEL_* settings reach the config, the URL is printed,
// the server answers, and a stop signal shuts it down with exit 0.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runCli, triageWorkflow } from './cli-harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-cli-serve-'));
  await mkdir(join(dir, 'workflows'));
  await writeFile(join(dir, 'workflows', 'triage.yaml'), triageWorkflow);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('serves on the given port and data folder, prints the URL, and stops gracefully with exit 0', async () => {
  const out: string[] = [];
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const env = { KEEL_WORKFLOWS_DIR: join(dir, 'workflows'), KEEL_LOG_LEVEL: 'silent' };
  const serving = main(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--no-workers'], env, {
    out: (l) => out.push(l), err: (l) => out.push(`stderr: ${l}`), waitForStop: () => stopped,
  });
  let url: string | undefined;
  for (let i = 0; i < 600 && !url; i++) {
    url = /^Keel is running at (http:\/\/\S+)/.exec(out[0] ?? '')?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  expect(url, out.join('\n')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(out).toContain('workers are off in this process: runs wait until a `keel worker` claims them');

  const list = await runCli(['workflows', '--url', url ?? '']);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/^triage\s+Ticket triage\s.*production@v1$/m);
  const run = await runCli(['run', 'triage', '--url', url ?? '', '--input', '{"subject":"x"}']);
  expect(run.out[0]).toMatch(/^started run run_\S+ \(queued\)$/);

  stop();
  expect(await serving).toBe(0);
  expect(out.at(-1)).toMatch(/^stopping/);
  const after = await runCli(['workflows', '--url', url ?? '']);
  expect(after.err).toEqual([`error: no Keel server at ${url} (start one with npm start)`]);
});
