// The runs pages in a real browser: the list filtered through its controls (and the URL), a run
// started while the list is open appearing by itself, and one run's timeline with its steps, the
// template model's output, a long payload folded until asked for, and a reviewer's edit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { recordModelCall } from '../../src/models/index.js';
import { createTestIdentity } from '../support/identity.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer } from './browser.js';

// shape fails when asked to (a JSONata $error: deterministic, no network); card renders a template
// (the offline `template` model); a run that asks for it goes to a person, who edits the card.
const cards = `id: greeting-cards
title: Greeting cards
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input:
  type: object
  required: [name]
  properties:
    name: { type: string }
    fail: { type: boolean }
    ask: { type: boolean }
    notes: { type: array, items: { type: string } }
steps:
  - id: shape
    kind: transform
    expression: |
      input.fail = true ? $error("the input asked this step to fail") : { "first_name": input.name, "ask": input.ask = true, "notes": input.notes }
  - id: card
    kind: model
    model: template
    template: |
      Dear {{ steps.shape.first_name }},
      welcome aboard.
  - id: pick
    kind: route
    routes:
      - when: 'steps.shape.ask'
        to: check
    default: end
  - id: check
    kind: review
    title: Check the greeting card
    show: 'steps.card'
    on_reject: end
`;

interface RunAnswer { run: { id: string; status: string }; reviews: { id: string }[] }

describe('dashboard runs', () => {
  let server: DashboardServer;
  let browser: Browser;
  let token: string;
  let reviewerToken: string;

  async function call<T>(method: string, path: string, body?: unknown, as = token): Promise<T> {
    const res = await fetch(server.url + path, {
      method, headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async function startRun(input: Record<string, unknown>): Promise<string> {
    return (await call<{ run_id: string }>('POST', '/api/workflows/greeting-cards/runs', { input })).run_id;
  }

  async function waitForRun(id: string, statuses: string[]): Promise<RunAnswer> {
    const until = Date.now() + 20_000;
    for (;;) {
      const detail = await call<RunAnswer>('GET', `/api/runs/${id}`);
      if (statuses.includes(detail.run.status)) return detail;
      if (Date.now() > until) throw new Error(`run ${id} is ${detail.run.status}, not ${statuses.join(' or ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A datetime-local field's value for an instant, in the browser's (and this process's) time zone. */
  const localInput = (d: Date) => {
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  const rows = (page: Page) => page.locator('table[aria-label="Runs"] tbody tr');

  beforeAll(async () => {
    server = await startDashboardServer({ 'greeting-cards.yaml': cards });
    browser = await launchBrowser();
    token = (await createTestIdentity(server.keel.db, ['admin'])).token;
    // The run's requester may not decide its review; a second person does.
    reviewerToken = (await createTestIdentity(server.keel.db, ['admin'])).token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('filters the list by status, shows a new run without a reload, and draws a run as a timeline', async () => {
    const notes = Array.from({ length: 60 }, (_, i) => `note ${i + 1}: ${i === 59 ? 'the last line of a long payload' : 'something to remember'}`);
    const long = await startRun({ name: 'Ada', notes });
    const failing = await startRun({ name: 'Bob', fail: true });
    const reviewed = await startRun({ name: 'Cleo', ask: true });
    await waitForRun(long, ['succeeded']);
    // The offline template model calls nothing, so it leaves no model call on record. Two calls as
    // a provider's fallback chain would leave them (a rate-limited try, then an answer) are stored
    // through the models slice for the card step, to see them sit with its attempt on the timeline.
    const base = { runId: long, stepId: 'card', workflowId: 'greeting-cards', purpose: 'call' as const, responseModel: null };
    await recordModelCall(server.keel.db, { ...base, model: 'fast', provider: 'openai', modelId: 'gpt-4o-mini', attempt: 1, tokensIn: 0, tokensOut: 0, costUsd: 0, latencyMs: 212, errorClass: 'provider_rate_limited', errorMessage: 'Rate limit reached; retry after 20 s', status: 429 });
    await recordModelCall(server.keel.db, { ...base, model: 'careful', provider: 'anthropic', modelId: 'claude-haiku-4-5', attempt: 2, tokensIn: 412, tokensOut: 96, costUsd: 0.000892, latencyMs: 1430, errorClass: null, errorMessage: null, status: 200 });
    await waitForRun(failing, ['failed']);
    const waiting = await waitForRun(reviewed, ['waiting']);
    const review = waiting.reviews[0]!;
    const proposed = (await call<{ proposed: Record<string, unknown> }>('GET', `/api/reviews/${review.id}`)).proposed;
    await call('POST', `/api/reviews/${review.id}/decision`, {
      decision: 'edit', output: { ...proposed, text: 'Dear Cleo,\nwelcome aboard, we are glad you are here.\n' }, comment: 'warmer welcome',
    }, reviewerToken);
    await waitForRun(reviewed, ['succeeded']);

    const person = await createPerson(server, ['admin'], 'grace');
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server, person, '/runs');
    await page.getByRole('heading', { name: 'Runs', exact: true }).waitFor();
    await expect.poll(() => rows(page).count()).toBe(3);
    await rows(page).filter({ hasText: failing }).getByText('step_failed').waitFor();
    await rows(page).filter({ hasText: long }).getByText('v1', { exact: true }).waitFor();
    await screenshot(page, 'runs');

    // Filtering by status: the URL says it, and only the failed run is listed.
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('failed');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain(failing);
    await screenshot(page, 'runs-failed');

    // A reason (an error code here) typed into its field narrows the list the same way.
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Reason', { exact: true }).fill('step_failed');
    await page.getByLabel('Reason', { exact: true }).press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('reason')).toBe('step_failed');
    await expect.poll(() => rows(page).count()).toBe(1);

    // A version needs its workflow: the server's refusal is shown with the field it names, and
    // choosing the workflow answers it.
    await page.goto(`${server.url}/runs?version=1`);
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('query.version');
    await page.getByLabel('Workflow', { exact: true }).selectOption('greeting-cards');
    await expect.poll(() => rows(page).count()).toBe(3);
    expect(new URL(page.url()).searchParams.get('version')).toBe('1');
    // A custom time range that ended an hour ago holds none of them; the last hour holds all.
    await page.getByLabel('Time', { exact: true }).selectOption('custom');
    await page.getByLabel('Created until', { exact: true }).fill(localInput(new Date(Date.now() - 3_600_000)));
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'No runs match' }).count()).toBe(1);
    await page.getByLabel('Time', { exact: true }).selectOption('1h');
    await expect.poll(() => rows(page).count()).toBe(3);

    // The same view from a link, then back to every run; a run started now appears by itself.
    await page.goto(`${server.url}/runs?workflow=greeting-cards&status=succeeded`);
    await expect.poll(() => rows(page).count()).toBe(2);
    await expect.poll(() => page.getByLabel('Workflow', { exact: true }).inputValue()).toBe('greeting-cards');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows(page).count()).toBe(3);
    const late = await startRun({ name: 'Dan' });
    await page.locator(`tr[data-run="${late}"]`).waitFor({ timeout: 20_000 });
    await waitForRun(late, ['succeeded']);

    // One run's timeline: its steps in order, the template's rendered text, the long input folded.
    await page.getByRole('link', { name: long }).click();
    await page.getByRole('heading', { name: /^Run / }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${long}`);
    const steps = page.getByRole('list', { name: 'Step attempts' }).getByRole('listitem');
    await expect.poll(() => steps.evaluateAll((items) => items.map((i) => i.getAttribute('aria-label')))).toEqual(['shape, attempt 1', 'card, attempt 1', 'pick, attempt 1']);
    expect(await page.locator('.gantt-bar').count()).toBe(3);
    // The template's rendered text is short, so it is shown open.
    expect(await page.getByLabel('card output', { exact: true }).textContent()).toContain('Dear Ada,');
    const calls = page.getByRole('table', { name: 'Model calls of card' });
    expect(await calls.getByRole('row').count()).toBe(3);
    await calls.getByText('provider_rate_limited').waitFor();
    await calls.getByText('claude-haiku-4-5').waitFor();
    expect(await calls.locator('caption').textContent()).toContain('412 tokens in, 96 out, $0.00089');
    await screenshot(page, 'run-timeline-model-calls');
    const lastNote = page.getByText('the last line of a long payload');
    expect(await lastNote.count()).toBe(0);
    await page.getByRole('button', { name: /^Show input/ }).click();
    await page.getByLabel('input', { exact: true }).getByText('the last line of a long payload').waitFor();

    // The failed run says why, on the run and on the attempt that failed.
    await page.goto(`${server.url}/runs/${failing}`);
    await page.getByRole('heading', { name: 'Why it failed' }).waitFor();
    expect(await page.getByText('the input asked this step to fail').count()).toBe(2);
    await screenshot(page, 'run-timeline-failed');

    // The reviewed run: the review step, who decided, and what the edit changed.
    await page.goto(`${server.url}/runs/${reviewed}`);
    const decision = page.getByRole('listitem', { name: 'Review Check the greeting card' });
    await decision.waitFor();
    await decision.getByText('warmer welcome').waitFor();
    await decision.getByText('+welcome aboard, we are glad you are here.').waitFor();
    expect(await decision.getByRole('link', { name: 'Check the greeting card' }).getAttribute('href')).toBe(`/reviews/${review.id}`);
    expect(await steps.count()).toBe(4);
    await screenshot(page, 'run-timeline');
    await context.close();
  }, 90_000);
});
