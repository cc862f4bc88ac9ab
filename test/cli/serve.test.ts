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
  await writeFile(join(dir, 'keel.yaml'), '# no models: the example classifier is not trained here\n');
  // A development instance: the file goes straight into production (the gates have their own tests).
  const env = { KEEL_WORKFLOWS_DIR: join(dir, 'workflows'), KEEL_LOG_LEVEL: 'silent', KEEL_CONFIG: join(dir, 'keel.yaml'), KEEL_GATES_ENFORCE: 'false' };
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

  // No user yet: serve printed the one-time link that makes the first admin.
  const link = out.map((l) => /^\s+(http:\/\/\S+\/setup#token=(\S+))$/.exec(l)).find(Boolean);
  expect(link, out.join('\n')).toBeTruthy();
  const setup = await fetch(`${url}/api/setup`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: link![2], email: 'first.admin@example.com', password: 'seven orange kites drifting' }),
  });
  expect(setup.status).toBe(200);
  const { csrf_token: csrf } = (await setup.json()) as { csrf_token: string };
  const cookie = setup.headers.get('set-cookie')!.split(';')[0]!;
  expect(setup.headers.get('set-cookie')).toMatch(/HttpOnly/i);
  const again = await fetch(`${url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: link![2], email: 'x@example.com', password: 'seven orange kites drifting' }) });
  expect(again.status).toBe(404);
  const made = await fetch(`${url}/api/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-keel-csrf': csrf },
    body: JSON.stringify({ name: 'cli', scopes: ['workflows:read', 'runs:start'] }),
  });
  expect(made.status).toBe(201);
  const { secret } = (await made.json()) as { secret: string };

  const anonymous = await runCli(['workflows', '--url', url ?? '']);
  expect(anonymous.code).toBe(1);
  expect(anonymous.err.join('\n')).toMatch(/Sign in, or send an API token/);
  const list = await runCli(['workflows', '--url', url ?? '', '--token', secret]);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/^triage\s+Ticket triage\s.*production@v1$/m);
  const run = await runCli(['run', 'triage', '--url', url ?? '', '--input', '{"subject":"x"}'], { KEEL_TOKEN: secret });
  expect(run.out[0]).toMatch(/^started run run_\S+ \(queued\)$/);

  stop();
  expect(await serving).toBe(0);
  expect(out.at(-1)).toMatch(/^stopping/);
  const after = await runCli(['workflows', '--url', url ?? '']);
  expect(after.err).toEqual([`error: no Keel server at ${url} (start one with npm start)`]);
});
