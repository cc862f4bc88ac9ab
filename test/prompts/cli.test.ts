// `keel prompts list|show|diff|label` against a real Keel on loopback.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { loadLibraryFolder } from '../../src/prompts/index.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from '../cli/cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);

const greeting = (line: string) => `---\nname: cli/greeting\ndescription: Greets a customer by name\nrules: [Be brief]\n---\nHello {{ name }}.\n${line}\n`;

async function loadLibrary(files: Record<string, string>): Promise<void> {
  const dir = join(server.dir, 'library');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const report = await loadLibraryFolder(server.keel.db, dir, { label: 'production', actor: 'keel:startup', logger: createLogger('silent') });
  expect(report.skipped).toEqual([]);
}

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
  await loadLibrary({
    'cli/greeting.md': greeting('How can I help?'),
    'faq/cli-hours.yaml': 'kind: document\nname: faq/cli-hours\ntitle: Opening hours\ntype: faq\nbody: We answer from 8 to 20.\n',
  });
  await loadLibrary({ 'cli/greeting.md': greeting('How can we help you today?') });
});
afterAll(async () => {
  await server.stop();
});

describe('keel prompts', () => {
  it('lists entries with their kind, latest version and labels', async () => {
    const r = await keel('prompts', 'list');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^NAME\s+KIND\s+LATEST\s+LABELS\s+SUMMARY$/);
    expect(r.out).toContainEqual(expect.stringMatching(/^cli\/greeting\s+prompt\s+v2\s+production@v2\s+Greets a customer by name$/));
    expect(r.out).toContainEqual(expect.stringMatching(/^faq\/cli-hours\s+document \(faq\)\s+v1\s+production@v1\s+Opening hours$/));
    const docs = parseJson<{ entries: Array<{ name: string; kind: string }> }>(await keel('prompts', 'list', '--kind', 'document', '--json'));
    expect(docs.entries.map((e) => e.kind)).not.toContain('prompt');
    expect(docs.entries.map((e) => e.name)).toContain('faq/cli-hours');
    const bad = await keel('prompts', 'list', '--kind', 'memo');
    expect(bad).toMatchObject({ code: 2, err: [expect.stringContaining('--kind must be one of prompt, document'), expect.stringContaining('usage:')] });
  });

  it('shows a version with its labels and source, by label or number', async () => {
    const r = await keel('prompts', 'show', 'cli/greeting');
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 3)).toEqual([
      expect.stringMatching(/^cli\/greeting v2 \(prompt, cli\/greeting:[0-9a-f]{12}\)$/),
      'labels: production',
      expect.stringMatching(/^stored by keel:startup at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ from .*library\/cli\/greeting\.md$/),
    ]);
    expect(r.out).toContain('How can we help you today?');
    const v1 = await keel('prompts', 'show', 'cli/greeting@1');
    expect(v1.out[0]).toMatch(/^cli\/greeting v1 /);
    expect(v1.out[1]).toBe('labels: -');
    expect(parseJson<{ number: number; content: { rules: string[] } }>(await keel('prompts', 'show', 'cli/greeting@1', '--json'))).toMatchObject({ number: 1, content: { rules: ['Be brief'] } });
    const missing = await keel('prompts', 'show', 'cli/greeting@staging');
    expect(missing).toMatchObject({ code: 1, err: ['error: cli/greeting has no label "staging".', expect.stringContaining('hint:')] });
    expect((await keel('prompts', 'show', 'a@b@c')).code).toBe(2);
  });

  it('diffs two versions line by line', async () => {
    const r = await keel('prompts', 'diff', 'cli/greeting', '1', 'production');
    expect(r).toMatchObject({ code: 0, out: ['~ template:', '     Hello {{ name }}.', '    -How can I help?', '    +How can we help you today?'] });
    expect((await keel('prompts', 'diff', 'cli/greeting', '2', 'production')).out).toEqual(['no changes between v2 and v2']);
    expect(parseJson<{ changes: unknown[] }>(await keel('prompts', 'diff', 'cli/greeting', '1', '2', '--json')).changes).toHaveLength(1);
  });

  it('moves a label and says when it already pointed there', async () => {
    const r = await keel('prompts', 'label', 'cli/greeting', 'production', '1');
    expect(r).toMatchObject({ code: 0, out: [expect.stringMatching(/^cli\/greeting production now points at v1 \(cli\/greeting:[0-9a-f]{12}\)$/)] });
    expect((await keel('prompts', 'label', 'cli/greeting', 'production', '1')).out).toEqual(['cli/greeting production unchanged: already points at v1']);
    expect((await keel('prompts', 'label', 'cli/greeting', 'staging', 'production', '--json')).stdout).toContain('"version_number": 1');
    const bad = await keel('prompts', 'label', 'cli/greeting', 'production', '9');
    expect(bad).toMatchObject({ code: 1, err: ['error: cli/greeting has no version 9.', expect.any(String)] });
    expect((await keel('prompts', 'show', 'cli/greeting')).out[1]).toBe('labels: production, staging');
  });

  it('lists the prompts commands in its help', async () => {
    const r = await keel('prompts', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toEqual(expect.arrayContaining([
      '  keel prompts list [--kind prompt|document]', '  keel prompts show NAME[@REF]', '  keel prompts diff NAME FROM TO', '  keel prompts label NAME LABEL VERSION',
    ]));
  });
});
