// The promotion path in a real browser: a workflow's datasets (an import refused line by line, then
// one accepted), an eval run started from the page with its progress and then its figures, the
// gate into sandbox with what is missing, the author refused as a signer, a promotion refused with
// the unmet items and then made once an approver signed; a change request approved by the owner;
// the handoff pack's readiness checklist; and the (empty) shadow runs page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createUser, setPassword, type GlobalRole } from '../../src/auth/index.js';
import { requestChange } from '../../src/changes/index.js';
import { importCases } from '../../src/evals/index.js';
import { deployWorkflow } from '../../src/registry/index.js';
import { launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer, type Person } from './browser.js';

// Labels a request by one word; the dataset labels two cases against that rule, so two fail.
const sorter = `id: sorter
title: Sorts requests
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [text], properties: { text: { type: string } } }
steps:
  - id: label
    kind: transform
    expression: '{ "label": $contains(input.text, "card") ? "card" : "other" }'
failure_modes:
  - { name: mixed requests, description: a text about a card and an account at once gets one label, mitigation: people review the sandbox sample }
evals:
  threshold: 0.5
  concurrency: 2
  scorers:
    - name: label
      label: { path: label.label, expected_path: label }
`;

const cases = Array.from({ length: 40 }, (_, i) => {
  const card = i % 2 === 0;
  const text = card ? `my card number ${i} is blocked` : `change my address, request ${i}`;
  // Cases 0 and 1 are labelled against the rule on purpose.
  const label = i < 2 ? (card ? 'other' : 'card') : card ? 'card' : 'other';
  return JSON.stringify({ input: { text }, expected: { label } });
}).join('\n');

// Production runs v1; v2 changes the prompt and adds a budget, which needs an approved change request.
const kit = (template: string) => `id: kit
title: Welcome kit
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: model
    model: fast
    template: "${template}"
budget: { per_run: { cost: 0.05 } }
`;

/** A person with a known email (the workflow files name them) and a password. */
async function person(server: DashboardServer, email: string, roles: GlobalRole[]): Promise<Person> {
  const password = `correct horse battery staple ${email.length}x`;
  const user = await createUser(server.keel.db, { email, roles, displayName: email.split('@')[0]! }, 'test', { minPasswordLength: 12 });
  await setPassword(server.keel.db, user.id, password, 'test', { minPasswordLength: 12 });
  return { email, password, id: user.id };
}

describe('dashboard datasets, eval runs, gates, change requests and handoff', () => {
  let server: DashboardServer;
  let browser: Browser;
  let author: Person;
  let approver: Person;
  let owner: Person;
  let changeId: string;
  beforeAll(async () => {
    // The eval runner runs in the scheduling process.
    server = await startDashboardServer({}, { scheduler: true });
    const db = server.keel.db;
    await deployWorkflow(db, { source: sorter, sourceName: 'sorter.yaml', stage: 'testing', actor: 'author@example.com' });
    await importCases(db, { workflowId: 'sorter', dataset: 'default', format: 'jsonl', content: cases, actor: 'sme@example.com', note: 'cases.jsonl' });
    await deployWorkflow(db, { source: kit('Welcome {{ input.name }}').replace(/budget:.*\n/, ''), sourceName: 'kit.yaml', stage: 'production', actor: 'first@example.com' });
    await deployWorkflow(db, { source: kit('Warmly welcome {{ input.name }}'), sourceName: 'kit.yaml', stage: 'testing', actor: 'author@example.com' });
    changeId = (await requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'A warmer welcome, within a budget.' })).id;
    author = await person(server, 'author@example.com', ['builder', 'approver']);
    approver = await person(server, 'approver@example.com', ['approver']);
    owner = await person(server, 'owner@example.com', ['viewer']);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function pageAs(who: Person, path: string): Promise<Page> {
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, who, path);
    return page;
  }

  it('lists datasets, names every bad line of a refused import, and imports a good file as a new version', async () => {
    const page = await pageAs(author, '/workflows/sorter');
    await page.getByRole('navigation', { name: 'Workflow sections' }).getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
    const list = page.getByRole('table', { name: 'Datasets' });
    await list.getByRole('row', { name: /default v1 40 1 import/ }).waitFor();
    await page.getByText('v1: 40 cases, import by sme@example.com (cases.jsonl)').waitFor();
    await page.getByRole('table', { name: 'Cases of default v1' }).getByText('my card number 2 is blocked', { exact: false }).waitFor();

    await page.getByLabel('Dataset', { exact: true }).fill('extra');
    const bad = '{"input":{"text":"a card"},"expected":{"label":"card"}}\nnot json at all\n{"expected":{"label":"other"}}\n';
    await page.getByLabel('File (CSV or JSON Lines)').setInputFiles({ name: 'extra.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(bad) });
    expect(await page.getByLabel('Format').inputValue()).toBe('jsonl');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const badLines = page.getByRole('list', { name: 'Bad lines' });
    await badLines.waitFor();
    const lines = await badLines.getByRole('listitem').allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^line 2: /);
    expect(lines[1]).toMatch(/^line 3: .*input/);
    await page.getByText('2 bad rows; nothing was imported').waitFor();
    await screenshot(page, 'datasets-import-refused');

    const csv = 'input.text,expected.label\nmy card is lost,card\nnew address please,other\n';
    await page.getByLabel('File (CSV or JSON Lines)').setInputFiles({ name: 'extra.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    expect(await page.getByLabel('Format').inputValue()).toBe('csv');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 2 cases from extra.csv: extra is now v1 with 2 cases.').waitFor();
    await list.getByRole('row', { name: /extra v1 2 1 import/ }).waitFor();
    await page.getByRole('table', { name: 'Cases of extra v1' }).getByText('new address please', { exact: false }).waitFor();
    await screenshot(page, 'datasets');
    await page.context().close();
  }, 60_000);

  it('starts an eval run, shows its progress, then its figures and failed cases', async () => {
    const page = await pageAs(author, '/workflows/sorter/evals');
    await page.getByRole('heading', { name: 'Eval runs', level: 1 }).waitFor();
    await page.getByText('No eval run yet.').waitFor();
    await page.getByLabel(/^Version/).selectOption('1');
    await page.getByLabel(/^Dataset(?! version)/).selectOption('default');
    await page.getByLabel('Concurrency').fill('2');
    await page.getByRole('button', { name: 'Start eval run' }).click();
    await page.getByRole('heading', { name: /^Eval run eval_/, level: 1 }).waitFor();
    expect(page.url()).toMatch(/\/workflows\/sorter\/evals\/eval_/);
    // Forty cases two at a time take several worker passes: the bar is seen before the figures.
    await page.getByText(/\d+ of 40 cases scored/).first().waitFor();
    await screenshot(page, 'eval-run-progress');

    const figures = page.getByRole('region', { name: 'Figures' });
    await figures.waitFor({ timeout: 60_000 });
    const text = await figures.textContent();
    expect(text).toContain('95.0 % (38 of 40)');
    expect(text).toContain('meets threshold');
    const labels = page.getByRole('table', { name: 'Per label of label' });
    await labels.getByRole('row', { name: /^card/ }).waitFor();
    expect(await page.getByText(/macro-F1/).textContent()).toMatch(/macro-F1 0\.950/);
    const failed = page.getByRole('table', { name: 'Failed cases' });
    await failed.getByRole('row').nth(2).waitFor();
    expect(await failed.getByRole('row').count()).toBe(3);
    expect(await failed.textContent()).toContain('expected other, got card');
    expect(await failed.getByRole('link', { name: /run succeeded of case 1/ }).getAttribute('href')).toMatch(/^\/runs\//);
    await screenshot(page, 'eval-run');

    await page.getByRole('link', { name: 'Eval runs', exact: true }).first().click();
    const runs = page.getByRole('table', { name: 'Eval runs' });
    await runs.getByText('finished').waitFor();
    expect(await runs.textContent()).toContain('95.0 %');
    await page.context().close();
  }, 90_000);

  it('shows the gate into sandbox, refuses the author as a signer and a promotion while unmet, and promotes once an approver signed', async () => {
    const page = await pageAs(author, '/workflows/sorter/gates?to=sandbox');
    await page.getByRole('heading', { name: 'Gate into sandbox' }).waitFor();
    const checklist = page.getByRole('table', { name: 'Checklist of the gate into sandbox' });
    await checklist.getByRole('row', { name: /Signed by the approver\s*sign-off\s*missing/ }).waitFor();
    await checklist.getByRole('row', { name: /Eval pass rate at or above the workflow's threshold met/ }).waitFor();
    await checklist.getByRole('row', { name: /Failure modes documented met/ }).waitFor();
    await page.getByText('1 of 3 items missing').waitFor();

    await page.getByRole('button', { name: 'Promote v1 into sandbox' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Not promoted' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('cannot enter sandbox: 1 of 3 gate items are not met');
    expect(await refused.getByRole('listitem').allTextContents()).toEqual([expect.stringMatching(/^Signed by the approver: waiting for someone with the approver role other than the author/)]);

    await page.getByLabel('Role').selectOption('approver');
    await page.getByLabel(/^Statement/).fill('I wrote this version and think it is fine.');
    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    const notSigned = page.getByRole('alert').filter({ hasText: 'Not signed' });
    await notSigned.waitFor();
    expect(await notSigned.textContent()).toContain('author@example.com wrote v1 of sorter, so cannot sign its gate');
    await screenshot(page, 'gate-refusals');

    const other = await pageAs(approver, '/workflows/sorter/gates?to=sandbox');
    await other.getByRole('heading', { name: 'Gate into sandbox' }).waitFor();
    await other.getByLabel(/^Statement/).fill('Checked the eval figures and the failure modes; fine for sandbox.');
    await other.getByRole('button', { name: 'Sign', exact: true }).click();
    await other.getByText('Signed as approver.').waitFor();
    const signoffs = other.getByRole('table', { name: 'Sign-offs' });
    await signoffs.getByRole('row', { name: /approver approver@example.com .* Checked the eval figures/ }).waitFor();
    await other.getByText('all 3 items met').waitFor();
    // An approver may not move deployments: no Promote control for them.
    expect(await other.getByRole('button', { name: /^Promote/ }).count()).toBe(0);
    await screenshot(other, 'gate-signed');
    await other.context().close();

    await page.reload();
    await page.getByText('all 3 items met').waitFor();
    await page.getByRole('button', { name: 'Promote v1 into sandbox' }).click();
    await page.getByText('Promoted v1 into sandbox.').waitFor();
    await page.getByRole('link', { name: 'testing → sandbox' }).waitFor();
    await page.getByRole('link', { name: 'sandbox → production' }).click();
    const production = page.getByRole('table', { name: 'Checklist of the gate into production' });
    await production.getByRole('row', { name: /Rollback drill run on v1 missing/ }).waitFor();
    await screenshot(page, 'gate-production');
    await page.context().close();
  }, 90_000);

  it('opens a change request with its diff; a rejection needs a note; the owner approves it', async () => {
    const page = await pageAs(owner, '/workflows/kit/changes');
    const list = page.getByRole('table', { name: 'Change requests' });
    await list.getByRole('row', { name: /v1 → v2 prompts, model settings open/ }).waitFor();
    await list.getByRole('link', { name: changeId }).click();
    await page.getByRole('heading', { name: `Change request ${changeId}`, level: 1 }).waitFor();
    const diff = page.locator('table.diff.side-by-side');
    await diff.waitFor();
    expect(await diff.locator('thead').textContent()).toBe('v1 (from)v2 (to)');
    await diff.getByText('budget', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('A rejection needs a note').waitFor();
    await screenshot(page, 'change-request');

    await page.getByLabel(/^Note/).fill('Warmer and bounded: approved.');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Decided by').waitFor();
    expect(await page.locator('dl.facts').textContent()).toContain('approvedChangeproduction v1 → v2');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await screenshot(page, 'change-request-approved');
    await page.context().close();
  }, 60_000);

  it('shows the handoff pack with its readiness checklist and links to the Markdown and HTML', async () => {
    const page = await pageAs(owner, '/workflows/sorter');
    await page.getByRole('navigation', { name: 'Workflow sections' }).getByRole('link', { name: 'Handoff pack' }).click();
    const readiness = page.getByRole('region', { name: /^Readiness: \d+ of \d+ ready$/ });
    await readiness.waitFor();
    const heading = await readiness.getByRole('heading').textContent();
    const [, ready, total] = /(\d+) of (\d+)/.exec(heading!)!;
    expect(Number(ready)).toBeLessThan(Number(total));
    const items = readiness.getByRole('list', { name: 'Readiness checklist' }).getByRole('listitem');
    expect(await items.count()).toBe(Number(total));
    expect(await readiness.getByText('missing', { exact: true }).count()).toBe(Number(total) - Number(ready));
    expect(await page.getByRole('link', { name: 'Download Markdown' }).getAttribute('href')).toBe('/api/workflows/sorter/handoff?format=markdown');
    expect(await page.getByRole('link', { name: /Open the HTML page/ }).getAttribute('href')).toBe('/api/workflows/sorter/handoff?format=html');
    await page.getByRole('region', { name: 'Owner map' }).waitFor();
    await screenshot(page, 'handoff');

    // Shadow runs are started from the CLI; the page lists them (none here) and reports each.
    await page.getByRole('navigation', { name: 'Workflow sections' }).getByRole('link', { name: 'Shadow runs' }).click();
    await page.getByRole('heading', { name: 'Shadow runs', level: 1 }).waitFor();
    await page.getByText('No shadow run yet.').waitFor();
    await page.context().close();
  }, 60_000);
});
