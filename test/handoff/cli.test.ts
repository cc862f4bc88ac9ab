// `keel handoff WORKFLOW` against a real Keel over loopback HTTP: Markdown on stdout with the
// readiness summary on stderr (so a redirect keeps only the document), HTML or JSON into a file with
// the summary on stdout, each missing item named with its fix, and usage errors for bad options.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestKeel, type TestKeel } from '../cli/cli-harness.js';

let server: TestKeel;
const keel = (...argv: string[]) => runCli(argv, { KEEL_URL: server.url, KEEL_TOKEN: server.token });

beforeAll(async () => {
  server = await startTestKeel();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('keel handoff', () => {
  it('prints the Markdown pack and names each missing item with its fix on stderr', async () => {
    const r = await keel('handoff', 'triage');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('# Handoff pack: Ticket triage');
    expect(r.stdout).toContain('## Change process');
    expect(r.stdout).not.toContain('readiness of triage');
    expect(r.err[0]).toMatch(/^readiness of triage at [a-z]+: \d+ of \d+ ready; missing \d+:$/);
    expect(r.err).toContain('  - Owner map: incidents: owners.incidents is not set in ' + join(server.dir, 'workflows', 'triage.yaml') + ': name the person who owns incidents (called when a monitor fires)');
    expect(r.stderr).toContain('  - Runbook: rollback: runbook.rollback is not set in');
  });

  it('writes HTML or JSON to a file and prints the summary on stdout', async () => {
    const html = join(server.dir, 'triage.html');
    // The stage the server loaded the file into (the highest deployed one), asked for by name.
    const { stage } = JSON.parse((await keel('handoff', 'triage', '--json')).stdout) as { stage: string };
    const r = await keel('handoff', 'triage', '--html', '--out', html, '--stage', stage);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`wrote the handoff pack of triage (${stage}, version 1) to ${html}`);
    expect(r.out[1]).toMatch(new RegExp(`^readiness of triage at ${stage}: `));
    expect(r.err).toEqual([]);
    expect(await readFile(html, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<h1>Handoff pack: Ticket triage<\/h1>/);

    const json = join(server.dir, 'triage.json');
    expect((await keel('handoff', 'triage', '--json', '--out', json)).code).toBe(0);
    expect(JSON.parse(await readFile(json, 'utf8'))).toMatchObject({ workflow_id: 'triage', stage, readiness: { total: expect.any(Number) } });
    const printed = await keel('handoff', 'triage', '--json');
    expect(JSON.parse(printed.stdout)).toMatchObject({ workflow_id: 'triage' });
  });

  it('refuses bad options and unknown workflows', async () => {
    expect((await keel('handoff', 'triage', '--stage', 'staging')).code).toBe(2);
    expect((await keel('handoff', 'triage', '--json', '--html')).code).toBe(2);
    const missing = await keel('handoff', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found|No workflow/);
  });
});
