// More promotion pages in a real browser: two eval runs compared case by case (what the second
// version regressed on), a shadow report (a candidate replayed on production's last runs), and the
// rollback page: a stage rolled back after a confirmation, and a drill with each of its steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createUser, setPassword } from '../../src/auth/index.js';
import { startRun } from '../../src/engine/index.js';
import { getEvalRun, getShadow, importCases, startEvalRun, startShadow } from '../../src/evals/index.js';
import { deployWorkflow } from '../../src/registry/index.js';
import { launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer, type Person } from './browser.js';

const flip = (expression: string) => `id: flip
title: Flip labels
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [text], properties: { text: { type: string } } }
steps:
  - id: label
    kind: transform
    expression: '${expression}'
evals:
  threshold: 0.5
  concurrency: 4
  scorers:
    - name: label
      label: { path: label.label, expected_path: label }
`;
const byWord = '{ "label": $contains(input.text, "card") ? "card" : "other" }';
const alwaysCard = '{ "label": "card" }';

describe('dashboard: eval comparison, rollback and drills', () => {
  let server: DashboardServer;
  let browser: Browser;
  let builder: Person;
  let a: string;
  let b: string;
  let shadow: string;

  beforeAll(async () => {
    // The eval runner runs in the scheduling process.
    server = await startDashboardServer({}, { scheduler: true });
    const db = server.keel.db;
    for (const [expression, stages] of [[byWord, ['sandbox', 'production']], [alwaysCard, ['sandbox', 'production']]] as const) {
      for (const stage of stages) await deployWorkflow(db, { source: flip(expression), sourceName: 'flip.yaml', stage, actor: 'author@example.com' });
    }
    const cases = ['my card is lost', 'card declined', 'new address', 'exchange rate'].map((text) => JSON.stringify({ input: { text }, expected: { label: text.includes('card') ? 'card' : 'other' } }));
    await importCases(db, { workflowId: 'flip', dataset: 'default', format: 'jsonl', content: cases.join('\n'), actor: 'sme@example.com' });
    a = (await startEvalRun(db, { workflowId: 'flip', version: '1', actor: 'author@example.com' })).id;
    b = (await startEvalRun(db, { workflowId: 'flip', version: '2', actor: 'author@example.com' })).id;
    for (const id of [a, b]) {
      for (let i = 0; (await getEvalRun(db, id)).status === 'running'; i++) {
        if (i > 600) throw new Error(`eval ${id} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // Production runs v2 (every text is a card); v1 replayed on its last three runs disagrees on one.
    for (const text of ['my card is lost', 'card declined', 'new address']) {
      const { run } = await startRun(db, { workflowId: 'flip', stage: 'production', trigger: 'manual', input: { text } });
      for (let i = 0; (await db.query<{ status: string }>('SELECT status FROM runs WHERE id = $1', [run.id])).rows[0]!.status !== 'succeeded'; i++) {
        if (i > 400) throw new Error(`run ${run.id} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    shadow = (await startShadow(db, { workflowId: 'flip', version: '1', mode: 'replay', maxRuns: 3, actor: 'author@example.com' })).id;
    for (let i = 0; (await getShadow(db, shadow)).status === 'running'; i++) {
      if (i > 600) throw new Error(`shadow ${shadow} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const password = 'seven violet kites drifting over quiet harbours';
    const user = await createUser(db, { email: 'builder@example.com', roles: ['builder'], displayName: 'builder' }, 'test', { minPasswordLength: 12 });
    await setPassword(db, user.id, password, 'test', { minPasswordLength: 12 });
    builder = { email: 'builder@example.com', password, id: user.id };
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('compares two eval runs: the cases the second version regressed on, none improved', async () => {
    const page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, builder, `/workflows/flip/evals/compare?a=${a}&b=${b}`);
    const runs = page.getByRole('table', { name: 'The two eval runs' });
    await runs.getByRole('row', { name: /Pass rate 100\.0 % \(4 of 4\) 50\.0 % \(2 of 4\)/ }).waitFor();
    const regressed = page.getByRole('table', { name: 'Regressed (2)' });
    await regressed.waitFor();
    expect(await regressed.getByRole('row').count()).toBe(3);
    await page.getByText('No case that failed in a passes in b.').waitFor();
    await page.getByText('2 cases passed in both and 0 failed in both.').waitFor();
    await screenshot(page, 'eval-compare');
    await page.context().close();
  }, 60_000);

  it('reports a shadow: agreement with the live version, the disagreeing run, cost and latency side by side', async () => {
    const page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, builder, `/workflows/flip/shadows/${shadow}`);
    const figures = page.getByRole('region', { name: 'Figures' });
    await figures.getByText('(2 of 3)').waitFor();
    await page.getByRole('heading', { name: 'Disagreements (1)' }).waitFor();
    const disagreements = page.getByRole('table', { name: 'Disagreements' });
    expect(await disagreements.getByRole('row').count()).toBe(2);
    expect(await disagreements.textContent()).toContain('differs from live');
    await page.getByRole('table', { name: 'Cost and latency, live and shadow' }).waitFor();
    await screenshot(page, 'shadow-report');
    await page.context().close();
  }, 60_000);

  it('rolls production back after a confirmation, and runs a drill whose every step is shown', async () => {
    const page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, server, builder, '/workflows/flip/rollback');
    const stages = page.getByRole('table', { name: 'Deployed stages' });
    await stages.getByRole('row', { name: /^production v2/ }).waitFor();
    await stages.getByRole('button', { name: 'Roll back production' }).click();
    await page.getByRole('group', { name: 'Confirm rolling back production' }).getByRole('button', { name: 'Yes, roll production back' }).click();
    await page.getByText('production rolled back from v2 to v1.').waitFor();
    await stages.getByRole('row', { name: /^production v1/ }).waitFor();
    const deployed = await server.keel.db.query<{ number: number }>(
      `SELECT v.number FROM deployments d JOIN workflow_versions v ON v.id = d.version_id WHERE d.workflow_id = 'flip' AND d.stage = 'production'`,
    );
    expect(deployed.rows).toEqual([{ number: 1 }]);

    await page.getByRole('button', { name: 'Run drill' }).click();
    const steps = page.getByRole('list', { name: /^Steps of drill_/ });
    await steps.waitFor({ timeout: 60_000 });
    const texts = await steps.getByRole('listitem').allTextContents();
    expect(texts.map((t) => /^(ok|failed) (\w+)/.exec(t)?.slice(1, 3).join(' '))).toEqual([
      'ok rollback', 'ok run_on_previous', 'ok roll_forward', 'ok run_on_version',
    ]);
    await page.getByText('passed', { exact: true }).first().waitFor();
    await screenshot(page, 'rollback-and-drill');
    await page.context().close();
  }, 90_000);
});
