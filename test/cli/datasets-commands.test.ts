// `keel datasets import | list | cases | add | remove` against a real Keel over loopback HTTP: a
// 3,000-row BANKING77 import shows its progress and the version it made; a bad file lists every
// bad line, exits non-zero and changes nothing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/models/index.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
});
afterAll(async () => {
  await server.stop();
  expect(server.keel.engine.worker.active).toBe(0);
});

describe('keel datasets', () => {
  it('imports 3,000 BANKING77 rows with progress and prints the version; lists and pages it', async () => {
    const { records } = parseCsv(await readFile(new URL('../../workflows/data/banking77/train.csv', import.meta.url), 'utf8'));
    const quote = (f: string) => `"${f.replaceAll('"', '""')}"`;
    const file = join(server.dir, 'banking77.csv');
    await writeFile(file, ['input.text,expected.label', ...records.slice(1, 3001).map((r) => `${quote(r.fields[0]!)},${quote(r.fields[1]!)}`)].join('\n'));

    const r = await keel('datasets', 'import', 'triage', file, '--dataset', 'b77', '--tags', 'banking77,train');
    expect(r.code, r.stderr).toBe(0);
    // Not a terminal here: a line per quarter of each phase, not one per row.
    expect(r.err).toEqual([
      'banking77.csv: validated 0%', 'banking77.csv: validated 25%', 'banking77.csv: validated 50%', 'banking77.csv: validated 75%', 'banking77.csv: validated 100%',
      'banking77.csv: stored 0%', 'banking77.csv: stored 100%',
    ]);
    expect(r.out).toEqual([expect.stringMatching(/^imported 3000 cases from banking77\.csv into triage\/b77: version 1 \(3000 cases, sha256 [0-9a-f]{12}\)$/)]);

    const list = await keel('datasets', 'list', 'triage');
    expect(list.out[0]).toMatch(/^DATASET\s+VERSION\s+CASES\s+CHANGE\s+SHA256\s+BY\s+AT$/);
    expect(list.out[1]).toMatch(/^b77\s+1\s+3000\s+import\s+[0-9a-f]{12}\s+\S+/);

    const page = await keel('datasets', 'cases', 'triage', '--dataset', 'b77', '--limit', '2', '--offset', '10');
    expect(page.out.at(-1)).toMatch(/^version 1 of triage\/b77: 3000 cases \(showing 11-12\), made by import/);
    expect(page.out[1]).toMatch(/\s+import\s+\s+banking77,train\s+/);
  });

  it('lists every bad line of a bad file, exits non-zero and stores nothing', async () => {
    const file = join(server.dir, 'bad.jsonl');
    await writeFile(file, [
      '{"input": {"text": "fine"}, "expected": "ok"}',
      '{"input": {"text": ',
      '{"expected": "no input"}',
      '{"input": {"text": "x"}, "expected": 1, "colour": "red"}',
    ].join('\n'));
    const r = await keel('datasets', 'import', 'triage', file, '--dataset', 'bad');
    expect(r.code).toBe(1);
    expect(r.err.filter((l) => !l.startsWith('bad.jsonl: validated'))).toEqual([
      'error: bad.jsonl: 3 bad rows; nothing was imported',
      expect.stringMatching(/^ {2}line 2: is not valid JSON/),
      '  line 3: has no "input"',
      '  line 4: unknown field "colour"',
      'hint: Fix the listed lines and import the file again.',
    ]);
    expect((await keel('datasets', 'cases', 'triage', '--dataset', 'bad')).out).toEqual(['no cases in triage/bad yet (keel datasets import, add or add-from-review adds some)']);
    expect((await keel('datasets', 'import', 'triage', join(server.dir, 'none.csv'))).code).toBe(2);
  });

  it('adds a case by hand and removes it, each a new version; old versions keep their cases', async () => {
    const added = await keel('datasets', 'add', 'triage', '--dataset', 'hand', '--input', '{"subject":"printer on fire"}', '--expected', '{"priority":"urgent"}', '--tags', 'fire');
    expect(added.code, added.stderr).toBe(0);
    const caseId = /^added case (\S+) to triage\/hand: version 1 \(1 cases\)$/.exec(added.out[0]!)![1]!;
    const removed = await keel('datasets', 'remove', 'triage', caseId, '--dataset', 'hand');
    expect(removed.out).toEqual([`removed case ${caseId} from triage/hand: version 2 (0 cases)`]);
    const v1 = parseJson<{ version: { number: number }; cases: { id: string }[] }>(await keel('datasets', 'cases', 'triage', '--dataset', 'hand', '--version', '1', '--json'));
    expect(v1).toMatchObject({ version: { number: 1 }, cases: [{ id: caseId }] });
    expect((await keel('datasets', 'cases', 'triage', '--dataset', 'hand')).out).toEqual([expect.stringMatching(/^version 2 of triage\/hand: 0 cases \(none shown\), made by remove/)]);
    expect((await keel('datasets', 'add', 'triage', '--input', '{oops', '--expected', '1')).code).toBe(2);
  });
});
