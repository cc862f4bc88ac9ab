// The commands that need no server (validate, usage, help), and what happens when the server is missing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, parseJson, runCli, triageWorkflow } from './cli-harness.js';

const broken = `id: Bad Id
title: Broken
risk: extreme
triggers: [ { manual: {} } ]
steps:
  - id: classify
    kind: transfrom
    expression: '{ "a": 1 }'
  - id: pick
    kind: route
    routes:
      - when: 'true'
        to: nowhere
    default: classify
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-cli-local-'));
  await writeFile(join(dir, 'broken.yaml'), broken);
  await writeFile(join(dir, 'triage.yaml'), triageWorkflow);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('keel validate', () => {
  it('reports every problem of every file at file:line:col and exits 3', async () => {
    const file = join(dir, 'broken.yaml');
    const r = await runCli(['validate', file, join(dir, 'triage.yaml')]);
    expect(r.code).toBe(3);
    const problems = r.out.filter((l) => l.startsWith(`${file}:`));
    expect(problems.length).toBeGreaterThanOrEqual(4);
    for (const line of problems) expect(line).toMatch(/^.+broken\.yaml:\d+:\d+ \S+: .+/);
    expect(r.stdout).toContain(`${file}:7:11 steps[0].kind: unknown kind "transfrom" (did you mean "transform"?)`);
    expect(r.stdout).toMatch(/broken\.yaml:13:\d+ steps\[1\]\.routes\[0\]\.to: "nowhere" is not a step/);
    expect(r.stdout).toContain('triage.yaml: ok (workflow triage)');
    expect(r.stderr).toMatch(/problems in 1 of 2 files/);
  });

  it('exits 0 when every file is valid', async () => {
    const r = await runCli(['validate', join(dir, 'triage.yaml')]);
    expect(r).toMatchObject({ code: 0, err: [] });
  });

  it('counts a file it cannot read as a problem', async () => {
    const r = await runCli(['validate', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('missing.yaml: cannot read the file (ENOENT)');
  });

  it('prints one parseable JSON document with --json', async () => {
    const r = await runCli(['validate', '--json', join(dir, 'broken.yaml')]);
    expect(r.code).toBe(3);
    const doc = parseJson<{ ok: boolean; files: Array<{ ok: boolean; problems: unknown[] }> }>(r);
    expect(doc.ok).toBe(false);
    expect(doc.files[0]?.problems.length).toBeGreaterThanOrEqual(4);
  });
});

describe('usage', () => {
  it('answers an unknown command with the usage on stderr and exit 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toBe('error: unknown command "frobnicate"');
    expect(r.stderr).toContain('usage: keel <command>');
  });

  it('answers an unknown flag, a missing argument and a bad value with exit 2', async () => {
    const flag = await runCli(['workflows', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/error: Unknown option '--bogus'/);
    expect(flag.stderr).toContain('usage: keel workflows');
    expect((await runCli(['review', 'approve'])).code).toBe(2);
    expect((await runCli(['review', 'frob', 'x'])).stderr).toContain('unknown command "keel review frob"');
    expect((await runCli(['run', 'triage', '--input', '{nope'])).stderr).toContain('--input is not valid JSON');
    expect((await runCli(['runs', '--limit', 'many'])).code).toBe(2);
    expect((await runCli(['deploy', 'x.yaml', '--stage', 'prod'])).stderr).toContain('--stage must be one of design, testing, sandbox, production');
  });

  it('prints help for every command on stdout with exit 0', async () => {
    const overview = await runCli(['--help']);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toContain('review approve');
    const run = await runCli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: keel run WORKFLOW');
    expect(run.stdout).toContain('--idempotency-key K');
    expect((await runCli(['help', 'review', 'edit'])).stdout).toContain('--output JSON');
    expect((await runCli(['review', '--help'])).stdout).toContain('keel review list');
    expect((await runCli([])).code).toBe(2);
  });

  it('refuses a separate worker on the embedded database with exit 2', async () => {
    const r = await runCli(['worker'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a separate worker process needs PostgreSQL');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it('says a bad --url is a configuration problem, exit 2', async () => {
    const r = await runCli(['workflows', '--url', 'not a url']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apiUrl: Invalid URL');
  });
});

describe('without a server', () => {
  it('says no Keel server answers at the URL, with exit 1 and no stack trace', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['workflows'], { KEEL_URL: url });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`error: no Keel server at ${url} (start one with npm start)`]);
    const flag = await runCli(['runs', '--url', url, '--json']);
    expect(flag).toMatchObject({ code: 1, out: [] });
    expect(flag.stderr).not.toMatch(/\n\s+at /);
  });
});
