// `keel audit` against a real Keel (real HTTP on loopback, embedded database): list, export to a
// file (paging past one API page), and verify's exit codes: 0 intact, 1 naming the first bad event.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/index.js';
import { parseJson, runCli, startTestKeel, type TestKeel } from '../cli/cli-harness.js';
import { tamper } from './fixtures.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
  // More than one API page (1,000), so export has to follow the cursor.
  await server.keel.db.transaction(async (tx) => {
    for (let i = 1; i <= 1005; i++) await recordAudit(tx, { actor: 'loader', action: 'thing:loaded', subjectType: 'thing', subjectId: `t${i}` });
  });
});
afterAll(async () => {
  await server.stop();
});

describe('keel audit', () => {
  it('lists events in chain order with filters', async () => {
    const r = await keel('audit', 'list', '--action', 'thing:loaded', '--limit', '3');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^SEQ\s+AT\s+ACTOR\s+ACTION\s+SUBJECT\s+REQUEST$/);
    expect(r.out.slice(1, 4)).toEqual([
      expect.stringMatching(/^\d+\s+\S+ \S+Z\s+loader\s+thing:loaded\s+thing\/t1$/),
      expect.stringMatching(/thing\/t2$/),
      expect.stringMatching(/thing\/t3$/),
    ]);
    expect(r.out[4]).toMatch(/^more: keel audit list --after-seq \d+/);
    const json = parseJson<{ events: { subject_id: string }[] }>(await keel('audit', 'list', '--subject-id', 't7', '--json'));
    expect(json.events.map((e) => e.subject_id)).toEqual(['t7']);
    const bad = await keel('audit', 'list', '--since', 'yesterday');
    expect(bad.code).toBe(2);
  });

  it('exports every matching event to a file as JSON Lines, across pages', async () => {
    const file = join(server.dir, 'audit.jsonl');
    const r = await keel('audit', 'export', '--action', 'thing:loaded', '--out', file);
    expect(r).toMatchObject({ code: 0, out: ['exported 1005 audit events to ' + file] });
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; subject_id: string });
    expect(lines).toHaveLength(1005);
    expect(lines.map((e) => e.subject_id)).toEqual(Array.from({ length: 1005 }, (_, i) => `t${i + 1}`));
    expect(new Set(lines.map((e) => e.seq)).size).toBe(1005);
    const stdout = await keel('audit', 'export', '--subject-id', 't5');
    expect(stdout.out.map((l) => (JSON.parse(l) as { subject_id: string }).subject_id)).toEqual(['t5']);
  });

  it('verify exits 0 on an intact chain, then 1 naming the first bad event once it is tampered with', async () => {
    const ok = await keel('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toMatch(/^audit chain intact: \d+ events checked$/);
    const anchor = /keel audit verify --anchor (\d+:[0-9a-f]{64})\)$/.exec(ok.out[1] ?? '')?.[1];
    expect(anchor).toBeDefined();
    expect((await keel('audit', 'verify', '--anchor', anchor!)).code).toBe(0);
    expect((await keel('audit', 'verify', '--anchor', 'nonsense')).code).toBe(2);

    const seq = (await server.keel.db.query<{ seq: number }>(`SELECT seq FROM audit_events WHERE subject_id = 't500'`)).rows[0]!.seq;
    await tamper(server.keel.db, `UPDATE audit_events SET actor = 'mallory' WHERE seq = ${seq}`);
    const broken = await keel('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.err[0]).toMatch(new RegExp(`^error: audit chain broken at seq ${seq} \\(event id \\d+\\): column_mismatch$`));
    expect(broken.stderr).toContain('column actor differs from the hashed body');
    const json = await keel('audit', 'verify', '--json');
    expect(json.code).toBe(1);
    expect(parseJson<{ ok: boolean; first_bad: { seq: number } }>(json)).toMatchObject({ ok: false, first_bad: { seq, problem: 'column_mismatch' } });
  });
});
