import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { readJson } from '../support/json.js';
import { testEngine, waitForRun } from '../support/harness.js';

const source = (title = 'Onboarding kit') => `
id: onboarding
title: ${title}
owner: people@example.com
risk: low
triggers: [ { manual: {} } ]
input:
  type: object
  required: [name]
  properties: { name: { type: string } }
steps:
  - id: kit
    kind: model
    model: template
    template: "Welcome, {{ input.name }}!"
  - id: manager
    kind: review
    title: Manager checks the welcome kit
`;

describe.each(testDatabases())('HTTP API on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof withToken>;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  beforeEach(async () => {
    db = await database.open();
    app = withToken(testHttpApp(db), (await createTestIdentity(db)).token);
    api = await contractChecker(app);
  });
  afterEach(async () => {
    await db.close();
  });

  it('deploys a version once per content and lists, shows and diffs versions', async () => {
    const first = await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: source(), stage: 'testing' }, 200);
    expect(first.body).toMatchObject({ version_created: true, deployment_changed: true, version: { number: 1 } });
    const again = await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: source() + '\n# a comment\n', stage: 'testing' }, 200);
    expect(again.body).toMatchObject({ version_created: false, deployment_changed: false, version: { number: 1 } });
    await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: source('Welcome kit'), stage: 'testing' }, 200);

    const versions = await api.call('GET', '/api/workflows/{id}/versions', '/api/workflows/onboarding/versions', undefined, 200);
    expect((versions.body.versions as unknown as { number: number }[]).map((v) => v.number)).toEqual([2, 1]);
    const v1 = await api.call('GET', '/api/workflows/{id}/versions/{version}', '/api/workflows/onboarding/versions/1', undefined, 200);
    expect(v1.body).toMatchObject({ number: 1, definition: { title: 'Onboarding kit' } });
    const diff = await api.call('GET', '/api/workflows/{id}/diff', '/api/workflows/onboarding/diff?from=1&to=2', undefined, 200);
    expect(diff.body.changes).toEqual([{ path: 'title', change: 'changed', before: 'Onboarding kit', after: 'Welcome kit' }]);
    const wf = await api.call('GET', '/api/workflows/{id}', '/api/workflows/onboarding', undefined, 200);
    expect(wf.body.deployments).toMatchObject([{ stage: 'testing', version_number: 2 }]);
    const back = await api.call('PUT', '/api/workflows/{id}/deployments/{stage}', '/api/workflows/onboarding/deployments/testing', { version: '1' }, 200);
    expect(back.body).toMatchObject({ stage: 'testing', version_number: 1 });
    await api.call('GET', '/api/workflows', '/api/workflows', undefined, 200);
  });

  it('never deploys a file with a problem and names every problem', async () => {
    const broken = source().replace('risk: low', 'risk: extreme').replace('kind: model', 'kind: model\n    colour: red');
    const res = await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: broken, source_name: 'onboarding.yaml' }, 422);
    expect(res.body.code).toBe('invalid_workflow');
    const paths = (res.body.problems as unknown as { path: string }[]).map((p) => p.path).join('\n');
    expect(paths).toMatch(/onboarding\.yaml:\d+:\d+ risk/);
    expect(paths).toMatch(/onboarding\.yaml:\d+:\d+ steps\[0\]\.colour/);
    const list = await api.call('GET', '/api/workflows', '/api/workflows', undefined, 200);
    expect(list.body.workflows).toEqual([]);
  });

  it('starts a run, shows its steps, waits at the review and finishes when decided', async () => {
    await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: source(), stage: 'production' }, 200);
    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      const started = await api.call('POST', '/api/workflows/{id}/runs', '/api/workflows/onboarding/runs', { input: { name: 'Ada' } }, 202);
      const runId = started.body.run_id as unknown as string;
      await waitForRun(db, runId, ['waiting']);
      const reviews = await api.call('GET', '/api/reviews', '/api/reviews?status=pending', undefined, 200);
      const review = (reviews.body.reviews as unknown as { id: string; proposed: { text: string } }[])[0]!;
      expect(review.proposed.text).toBe('Welcome, Ada!');
      await api.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${review.id}/decision`, { decision: 'edit' }, 422);
      // The admin started the run, so a second person decides it.
      const own = await api.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${review.id}/decision`, { decision: 'approve' }, 403);
      expect(own.body.detail).toContain('their own request');
      const colleague = await contractChecker(withToken(testHttpApp(db), (await createTestIdentity(db, ['reviewer'])).token));
      const decided = await colleague.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${review.id}/decision`, { decision: 'approve', comment: 'fine' }, 200);
      expect(decided.body).toMatchObject({ outcome: 'decided', status: 'approved', state: 'approved' });
      await colleague.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${review.id}/decision`, { decision: 'reject' }, 422);
      const twice = await colleague.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${review.id}/decision`, { decision: 'reject', comment: 'late' }, 409);
      expect(twice.body.code).toBe('conflict');
      await waitForRun(db, runId, ['succeeded']);
      const shown = await api.call('GET', '/api/runs/{id}', `/api/runs/${runId}`, undefined, 200);
      expect((shown.body.attempts as unknown as { step_id: string; status: string }[]).map((a) => [a.step_id, a.status]))
        .toEqual([['kit', 'succeeded'], ['manager', 'succeeded']]);
      expect(JSON.stringify(shown.body)).not.toContain('lease_token');
      const runs = await api.call('GET', '/api/runs', '/api/runs?workflow=onboarding&status=succeeded', undefined, 200);
      expect(runs.body.runs).toHaveLength(1);
    } finally {
      await engine.stop();
    }
  });

  it('answers 422 to a run whose input breaks the contract, 404 to unknown things, 400 to bad JSON', async () => {
    await api.call('POST', '/api/workflows/deploy', '/api/workflows/deploy', { source: source(), stage: 'production' }, 200);
    const bad = await api.call('POST', '/api/workflows/{id}/runs', '/api/workflows/onboarding/runs', { input: { name: 7 } }, 422);
    expect(bad.body.problems).toEqual([{ path: 'input.name', message: 'must be string' }]);
    await api.call('GET', '/api/runs/{id}', '/api/runs/run_missing', undefined, 404);
    await api.call('GET', '/api/workflows/{id}', '/api/workflows/missing', undefined, 404);
    const badQuery = await api.call('GET', '/api/runs', '/api/runs?status=sleeping', undefined, 422);
    expect((badQuery.body.problems as unknown as { path: string }[])[0]!.path).toBe('query.status');
    const res = await app.request('/api/workflows/onboarding/runs', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe('malformed_json');
  });

  it('serves health, the OpenAPI document and a reference page', async () => {
    expect(await readJson(await app.request('/healthz'))).toMatchObject({ status: 'ok' });
    const doc = await readJson(await app.request('/openapi.json'));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/workflows', '/api/runs/{id}', '/hooks/{workflow}', '/api/reviews/{id}/decision']));
    const page = await (await app.request('/docs')).text();
    expect(page).toContain('/api/runs/{id}');
  });
});
