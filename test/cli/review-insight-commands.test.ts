// `keel metrics reviews`, `keel datasets ...` and `keel boundary suggest` against a real Keel over
// loopback HTTP. Runs and decided reviews are written straight into its database with known
// outcomes, so every printed figure is known in advance.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, startTestKeel, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);
let n = 0;

async function versionOf(workflow: string, number = 1): Promise<string> {
  const r = await server.keel.db.query<{ id: string }>(`SELECT id FROM workflow_versions WHERE workflow_id = $1 AND number = $2`, [workflow, number]);
  return r.rows[0]!.id;
}

/** A finished run of `workflow`, with a review in `status` when given; answers the review's id. */
async function runWithReview(workflow: string, runStatus: string, review?: { status: string; confidence?: number; proposed?: unknown }): Promise<string | undefined> {
  const run = `run_cli_${++n}`;
  await server.keel.db.query(
    `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input, finished_at)
     VALUES ($1, $2, $3, 'production', $4, 'manual', $5::jsonb, CASE WHEN $4 IN ('waiting', 'running') THEN NULL ELSE now() END)`,
    [run, workflow, await versionOf(workflow), runStatus, JSON.stringify({ subject: `ticket ${n}` })],
  );
  if (!review) return undefined;
  const id = `rev_cli_${n}`;
  const open = review.status === 'pending' || review.status === 'escalated';
  await server.keel.db.query(
    `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, reason, proposed, context, created_at, decided_at, decided_by)
     VALUES ($1, $2, 'check', $3, $4, 'low_confidence', $5::jsonb, $6::jsonb, now() - interval '1 hour', $7, $8)`,
    [id, run, workflow, review.status, JSON.stringify(review.proposed ?? { priority: 'urgent' }),
      JSON.stringify(review.confidence === undefined ? {} : { confidence: review.confidence }), open ? null : new Date(), open ? null : 'ana@example.com'],
  );
  return id;
}

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
});
afterAll(async () => {
  await server.stop();
  expect(server.keel.engine.worker.active).toBe(0);
});

describe('keel metrics reviews', () => {
  it('prints the figures as a table, per version, and the JSON document with --json', async () => {
    await runWithReview('triage', 'succeeded');
    await runWithReview('triage', 'succeeded');
    await runWithReview('triage', 'succeeded', { status: 'approved' });
    await runWithReview('triage', 'rejected', { status: 'rejected' });
    await runWithReview('triage', 'waiting', { status: 'pending' });
    const r = await keel('metrics', 'reviews', 'triage', '--since', '1d');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^review metrics of triage, \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ to /);
    expect(r.out[2]).toMatch(/^VERSION\s+DECIDED\s+OVERRIDE\s+EXPIRED\s+COVERAGE\s+ESC P50\s+ESC P95\s+OPEN\s+OLDEST OPEN$/);
    expect(r.out[3]).toMatch(/^all\s+2\s+50\.0% \(1\/2\)\s+0\s+50\.0% \(2\/4\)\s+-\s+-\s+1\s+1h 0m$/);
    expect(r.out[4]).toMatch(/^v1\s+2\s+50\.0% \(1\/2\)/);
    expect(r.out).toContainEqual(expect.stringMatching(/^low_confidence\s+3\s+2\s+1\s+0$/));
    const json = parseJson<{ total: { decided: number; coverage_pct: number }; versions: unknown[] }>(await keel('metrics', 'reviews', 'triage', '--version', '1', '--json'));
    expect(json.total).toMatchObject({ decided: 2, coverage_pct: 50 });
    expect(json.versions).toHaveLength(1);
    const missing = await keel('metrics', 'reviews', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/^error: No workflow named nope/);
  });
});

describe('keel datasets', () => {
  it('adds a decided review once, lists the dataset, and refuses an open one', async () => {
    const reviewId = (await runWithReview('triage', 'succeeded', { status: 'approved', proposed: { team: 'it' } }))!;
    const added = await keel('datasets', 'add-from-review', reviewId, '--dataset', 'golden', '--tag', 'printers, q3');
    expect(added.code).toBe(0);
    expect(added.out[0]).toMatch(new RegExp(`^added case (case_\\S+) to triage/golden from review ${reviewId}$`));
    expect(added.out).toContain('  expected  {"team":"it"}');
    expect(added.out).toContain('  tags      printers, q3');
    const caseId = /added case (\S+)/.exec(added.out[0]!)![1]!;
    const again = await keel('datasets', 'add-from-review', reviewId, '--dataset', 'golden');
    expect(again.out[0]).toBe(`review ${reviewId} is already case ${caseId} of triage/golden; nothing changed`);

    const list = await keel('datasets', 'cases', 'triage', '--dataset', 'golden');
    expect(list.out[0]).toMatch(/^ID\s+SOURCE\s+REVIEW\s+TAGS\s+CREATED\s+INPUT\s+EXPECTED$/);
    expect(list.out[1]).toMatch(new RegExp(`^${caseId}\\s+review\\s+${reviewId}\\s+printers,q3\\s+\\S+ \\S+\\s+\\{"subject":"ticket \\d+"\\}\\s+\\{"team":"it"\\}$`));
    expect((await keel('datasets', 'cases', 'triage')).out[0]).toBe('no cases in triage/default yet (keel datasets import, add or add-from-review adds some)');

    const open = (await runWithReview('triage', 'waiting', { status: 'pending' }))!;
    const refused = await keel('datasets', 'add-from-review', open);
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toBe(`error: Review ${open} is still pending; only a decided review becomes a dataset case.`);
    expect((await keel('datasets', 'add-from-review', reviewId, '--expected', '{broken')).code).toBe(2);
  });
});

describe('keel boundary suggest', () => {
  const scored = `# Scored replies: the threshold below is tuned from decided reviews.
id: scored
title: Scored replies
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: model
    model: template
    template: "Reply to {{ input.subject }}"
    output_schema: { type: object, required: [reply, confidence], properties: { reply: { type: string }, confidence: { type: number } } }
    min_confidence: 0.5 # raised once reviews show it is safe
  - id: check
    kind: review
    title: Check the reply
`;

  it('says how many decisions it needs, then suggests, then writes and deploys the threshold as a new version', async () => {
    const file = join(server.dir, 'scored.yaml');
    await writeFile(file, scored);
    expect((await keel('deploy', file, '--stage', 'production')).code).toBe(0);
    const few = await keel('boundary', 'suggest', 'scored', '--precision', '0.9');
    expect(few.code).toBe(1);
    expect(few.err[0]).toBe('error: Workflow scored has 0 decided reviews with a confidence; a suggestion needs at least 30.');
    expect((await keel('boundary', 'suggest', 'scored', '--precision', '1.2')).code).toBe(2);

    // 40 right at 0.9 and 5 wrong at 0.6: 40/40 has a lower bound of 0.05^(1/40) = 0.928 at 95 %.
    for (let i = 0; i < 40; i++) await runWithReview('scored', 'succeeded', { status: 'approved', confidence: 0.9 });
    for (let i = 0; i < 5; i++) await runWithReview('scored', 'succeeded', { status: i % 2 ? 'edited' : 'rejected', confidence: 0.6 });
    const s = await keel('boundary', 'suggest', 'scored', '--precision', '0.9');
    expect(s.code).toBe(0);
    expect(s.out).toEqual([
      'suggested threshold for scored: 0.9',
      `  precision lower bound  ${(0.05 ** (1 / 40)).toFixed(4)} (95% confidence, clopper-pearson; target 0.9)`,
      '  observed precision     1.0000',
      '  coverage               88.9% (40 of 45 at or above it)',
      '  decided reviews        45 decided reviews (40 approved, 5 edited or rejected)',
      '  current threshold      0.5 (step draft, production v1)',
    ]);

    const applied = await keel('boundary', 'suggest', 'scored', '--precision', '0.9', '--apply', file);
    expect(applied.code).toBe(0);
    expect(applied.out.slice(6)).toEqual([
      `${file}: step draft min_confidence 0.5 -> 0.9`,
      expect.stringMatching(/^stored new version scored v2 \(\S+\)$/),
      'testing now points at v2',
      'production is unchanged; promote with keel point scored --stage production --version 2',
    ]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# Scored replies: the threshold below is tuned from decided reviews.');
    expect(text).toContain('min_confidence: 0.9 # raised once reviews show it is safe');
    const versions = await keel('versions', 'scored');
    expect(versions.out[1]).toMatch(/^v2\s.*testing$/);
    expect(versions.out[2]).toMatch(/^v1\s.*production$/);

    const other = join(server.dir, 'other.yaml');
    await writeFile(other, scored.replace('id: scored', 'id: other'));
    const wrong = await keel('boundary', 'suggest', 'scored', '--precision', '0.9', '--apply', other);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toEqual([`error: ${other} defines workflow "other", not scored; nothing changed`]);
    expect(await readFile(other, 'utf8')).toBe(scored.replace('id: scored', 'id: other'));

    // A file whose boundary says `confidence >= X` gets that rule rewritten, not a step's min_confidence.
    const bounded = join(server.dir, 'bounded.yaml');
    await writeFile(bounded, `${scored}approval:\n  rules:\n    - when: confidence >= 0.8 # from the last calibration\n      then: auto\n`);
    const rewritten = await keel('boundary', 'suggest', 'scored', '--precision', '0.9', '--apply', bounded);
    expect(rewritten.code, rewritten.stdout + rewritten.stderr).toBe(0);
    expect(rewritten.out).toContain(`${bounded}: approval rule 0 0.8 -> 0.9`);
    const after = await readFile(bounded, 'utf8');
    expect(after).toContain('when: confidence >= 0.9 # from the last calibration');
    expect(after).toContain('min_confidence: 0.5 # raised once reviews show it is safe');
  });
});
