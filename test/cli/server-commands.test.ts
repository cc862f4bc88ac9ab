// The client commands against a real Keel: deploy, registry, runs, follow and the review queue.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, startTestKeel, triageWorkflow, type TestKeel } from './cli-harness.js';

let server: TestKeel;
let env: Record<string, string>;
const keel = (...argv: string[]) => runCli(argv, env);
/** The same command as a second person: the admin who started a run may not approve it. */
const reviewer = (...argv: string[]) => runCli(argv, { ...env, KEEL_TOKEN: server.reviewerToken });

beforeAll(async () => {
  server = await startTestKeel();
  env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
});
afterAll(async () => {
  await server.stop();
  expect(server.keel.engine.worker.active).toBe(0);
});

/** Starts an urgent run and waits until it waits for its review; answers the run and review ids. */
async function waitingRun(): Promise<{ runId: string; reviewId: string }> {
  const r = await keel('run', 'triage', '--input', '{"subject":"urgent: printer on fire"}', '--wait');
  expect(r.code).toBe(0);
  const runId = /run (run_\S+) is waiting/.exec(r.stdout)?.[1];
  const reviewId = /waiting for review (rev_\S+)/.exec(r.stdout)?.[1];
  if (!runId || !reviewId) throw new Error(`no waiting run in: ${r.stdout}`);
  return { runId, reviewId };
}

describe('deploying and the registry', () => {
  it('stores a new version once, then says the deploy changed nothing', async () => {
    const file = join(server.dir, 'notes.yaml');
    await writeFile(file, triageWorkflow.replace('id: triage', 'id: notes').replace('Ticket triage', 'Notes'));
    const first = await keel('deploy', file);
    expect(first.code).toBe(0);
    expect(first.out).toEqual([expect.stringMatching(/^stored new version notes v1 \(\S+\)$/), 'testing now points at v1']);
    const again = await keel('deploy', file);
    expect(again.code).toBe(0);
    expect(again.out).toEqual([expect.stringMatching(/^version unchanged: notes v1 \(\S+\) has the same content$/), 'testing unchanged: already points at v1']);
  });

  it('prints every problem of a file the server refuses and exits 3', async () => {
    const file = join(server.dir, 'broken.yaml');
    await writeFile(file, triageWorkflow.replace('risk: medium', 'risk: extreme').replace('kind: route', 'kind: rout'));
    const r = await keel('deploy', file, '--stage', 'production');
    expect(r.code).toBe(3);
    expect(r.err[0]).toMatch(/^error: .*broken\.yaml is not a valid workflow \(2 problems\)/);
    expect(r.err).toContainEqual(expect.stringMatching(/^ {2}.*broken\.yaml:\d+:\d+ risk: must be one of/));
    expect(r.err).toContainEqual(expect.stringMatching(/^ {2}.*broken\.yaml:\d+:\d+ steps\[1\]\.kind: unknown kind "rout"/));
    expect(r.stderr).toContain('hint: fix every problem listed');
  });

  it('lists workflows, versions and the diff between two versions, and moves a stage', async () => {
    const file = join(server.dir, 'triage-2.yaml');
    await writeFile(file, triageWorkflow.replace('title: Ticket triage', 'title: Ticket triage two'));
    expect((await keel('deploy', file)).out[0]).toMatch(/^stored new version triage v2/);
    const list = await keel('workflows');
    expect(list.out[0]).toMatch(/^ID\s+TITLE\s+OWNER\s+RISK\s+DEPLOYMENTS$/);
    expect(list.out).toContainEqual(expect.stringMatching(/^triage\s+Ticket triage two\s+ops@example\.com\s+medium\s+production@v1, testing@v2$/));
    const versions = await keel('versions', 'triage');
    expect(versions.out[1]).toMatch(/^v2\s.*testing$/);
    const diff = await keel('diff', 'triage', '1', 'v2');
    expect(diff).toMatchObject({ code: 0, out: ['~ title: "Ticket triage" -> "Ticket triage two"'] });
    const point = await keel('point', 'triage', '--stage', 'sandbox', '--version', '2');
    expect(point.out).toEqual([expect.stringMatching(/^triage sandbox now points at v2 /)]);
    expect((await keel('pause', 'triage', '--stage', 'sandbox', '--reason', 'checking a drift')).stdout).toMatch(/is paused by \S+ \(checking a drift\)/);
    const refused = await keel('run', 'triage', '--stage', 'sandbox', '--input', '{"subject":"x"}');
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/^error: .*paused at stage sandbox \(checking a drift\)/);
    expect(refused.stderr).toContain('hint: Resume it with `keel resume triage --stage sandbox`');
    expect((await keel('resume', 'triage', '--stage', 'sandbox')).stdout).toContain('is accepting runs');
    // Testing ran v2 only: nothing earlier to go back to. Pointed at v1 after it, it rolls back to v2.
    const nothing = await keel('rollback', 'triage', '--stage', 'testing');
    expect(nothing.code).toBe(1);
    expect(nothing.err[0]).toMatch(/no earlier version to roll back to/);
    await keel('point', 'triage', '--stage', 'testing', '--version', '1');
    expect((await keel('rollback', 'triage', '--stage', 'testing')).out).toEqual([expect.stringMatching(/^triage testing rolled back from v1 to v2 /)]);
  });

  it('answers an API error with its detail and exit 1', async () => {
    const r = await keel('versions', 'nope');
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^error: .*nope/);
  });
});

describe('runs and reviews', () => {
  it('waits at a review with exit 0, and the run succeeds once the review is approved', async () => {
    const { runId, reviewId } = await waitingRun();
    const pending = await keel('review', 'list');
    expect(pending.stdout).toContain(reviewId);
    const show = await keel('review', 'show', reviewId);
    expect(show.stdout).toContain('"to": "check"');
    const own = await keel('review', 'approve', reviewId);
    expect(own).toMatchObject({ code: 1, err: expect.arrayContaining([expect.stringContaining('may not approve their own request')]) });
    const approve = await reviewer('review', 'approve', reviewId, '--comment', 'looked at it');
    expect(approve).toMatchObject({ code: 0, out: [expect.stringContaining(`review ${reviewId} approved`)] });
    const followed = await keel('runs', 'show', runId, '--follow');
    expect(followed.code).toBe(0);
    expect(followed.out).toContainEqual(expect.stringMatching(/^step check {2}succeeded {2}\d/));
    expect(followed.out).toContainEqual(expect.stringMatching(/^step done {2}succeeded {2}\d/));
    expect(followed.out).toContain(`run ${runId} succeeded`);
    const detail = await keel('runs', 'show', runId);
    expect(detail.stdout).toMatch(/status\s+succeeded/);
    for (const step of ['classify', 'pick', 'check', 'done']) expect(detail.stdout).toMatch(new RegExp(`^step ${step} {2}succeeded {2}\\d`, 'm'));
    expect(detail.stdout).toContain(`review ${reviewId}  approved  step check`);
  });

  it('shows why a review was asked for and what the step saw', async () => {
    const { runId, reviewId } = await waitingRun();
    // A model step that stopped would have written this context; the review row is where it lives.
    await server.keel.db.query(`UPDATE reviews SET reason = 'low_confidence', context = $2::jsonb WHERE id = $1`, [
      reviewId, JSON.stringify({ model: 'banking77', confidence: 0.41, alternatives: [{ label: 'card_arrival', confidence: 0.3 }] }),
    ]);
    const show = await keel('review', 'show', reviewId);
    expect(show.stdout).toMatch(/reason\s+low_confidence/);
    expect(show.out).toContain('context:');
    expect(show.out).toContainEqual(expect.stringMatching(/^ {2}confidence\s+0\.41$/));
    expect(show.out).toContainEqual(expect.stringMatching(/^ {2}alternatives\s+\[\{"label":"card_arrival","confidence":0\.3\}\]$/));
    const detail = await keel('runs', 'show', runId);
    expect(detail.stdout).toContain(`review ${reviewId}  pending  step check  reason low_confidence`);
  });

  it('claims a review, shows who holds it, and releases it', async () => {
    const { reviewId } = await waitingRun();
    const claim = await keel('review', 'claim', reviewId, '--minutes', '30');
    expect(claim).toMatchObject({ code: 0, out: [expect.stringMatching(new RegExp(`^review ${reviewId} is yours until `))] });
    expect((await keel('review', 'show', reviewId)).stdout).toMatch(/claimed\s+by \S+ until/);
    expect((await keel('review', 'claim', reviewId, '--minutes', '0')).code).toBe(2);
    const release = await keel('review', 'release', reviewId);
    expect(release.stdout).toContain(`review ${reviewId} released`);
    expect((await keel('review', 'release', reviewId)).code).toBe(1);
    expect((await keel('review', 'show', reviewId)).stdout).not.toMatch(/claimed\s+by/);
  });

  it('prints each step as it happens with --follow', async () => {
    const r = await keel('run', 'triage', '--input', '{"subject":"printer"}', '--follow');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^started run run_/);
    expect(r.out.slice(1, 4).map((l) => l.replace(/ {2}\d+(\.\d)? m?s$/, ''))).toEqual(['step classify  succeeded', 'step pick  succeeded', 'step done  succeeded']);
    expect(r.out[4]).toMatch(/^run run_\S+ succeeded$/);
    expect(r.out[5]).toBe('output: {"handled":true,"priority":"normal"}');
  });

  it('exits 4 when a followed run ends rejected', async () => {
    const { runId, reviewId } = await waitingRun();
    expect((await keel('review', 'reject', reviewId, '--comment', 'spam')).code).toBe(0);
    const r = await keel('runs', 'show', runId, '--follow');
    expect(r.code).toBe(4);
    expect(r.out).toContain(`run ${runId} rejected`);
  });

  it('prints one parseable JSON document with --json', async () => {
    const workflows = parseJson<{ workflows: Array<{ id: string }> }>(await keel('workflows', '--json'));
    expect(workflows.workflows.map((w) => w.id)).toContain('triage');
    const run = await keel('--json', 'run', 'triage', '--input', '{"subject":"urgent"}', '--wait');
    expect(run.code).toBe(0);
    const detail = parseJson<{ run: { id: string; status: string; wait_reason: string }; reviews: Array<{ id: string }> }>(run);
    expect(detail.run).toMatchObject({ status: 'waiting', wait_reason: 'review' });
    const edited = parseJson<{ status: string }>(await reviewer('review', 'edit', detail.reviews[0]?.id ?? '', '--output', '{"fixed":true}', '--json'));
    expect(edited.status).toBe('edited');
    const runs = parseJson<{ runs: unknown[] }>(await keel('runs', '--workflow', 'triage', '--limit', '2', '--json'));
    expect(runs.runs).toHaveLength(2);
    const problem = await keel('versions', 'nope', '--json');
    expect(problem.code).toBe(1);
    expect(parseJson<{ code: string }>(problem).code).toBe('not_found');
  });
});
