// The review queue in a real browser against a real server: a reviewer works the queue with the
// keyboard (j then a) and the run goes on; an edit that breaks the output schema is refused with the
// field named and then corrected; two reviewers race for one task and the loser is told plainly,
// keeping what they typed, with exactly one decision recorded; and the queue on a phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { ticketsApiConnector } from './fixtures.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer, type Person } from './browser.js';

// A review step between two transforms: approving it lets the run finish with no side effect.
const refundCheck = `id: refund-check
title: Refund request check
owner: finance@example.com
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: transform
    expression: '{ "customer": input.customer, "amount": input.amount, "decision": "refund" }'
  - id: check
    kind: review
    title: Check the refund
    assign: { role: reviewer }
    due: 2h
  - id: done
    kind: transform
    expression: '{ "refunded": steps.draft.amount }'
`;

// The approval boundary in front of an action, with an output schema an edit must keep.
const ticketTriage = `id: ticket-triage
title: Support ticket triage
owner: support@example.com
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: answer
    kind: transform
    expression: '{ "label": input.label, "confidence": input.confidence, "flags": [] }'
  - id: post
    kind: action
    connector: tickets
    action: send
    with: { method: '"POST"', path: '"tickets"', body: 'steps.answer' }
    delivery: idempotent
approval:
  output: answer
  output_schema: { type: object, required: [label], properties: { label: { type: string, minLength: 2 } } }
  rules:
    - when: confidence >= 0.9
      then: auto
    - when: 'true'
      then: review
      reason: low_confidence
  review: { role: reviewer, due: 1h, escalate_to: [admin] }
access:
  - { connector: tickets, scopes: ["http:write"] }
`;

describe('the review queue in the dashboard', () => {
  let server: DashboardServer;
  let browser: Browser;
  // Runs are started by a builder: nobody approves a run they asked for themselves.
  let builder: TestIdentity;
  let auditor: TestIdentity;
  let ada: Person;
  let bo: Person;

  beforeAll(async () => {
    server = await startDashboardServer({ 'refund-check.yaml': refundCheck, 'ticket-triage.yaml': ticketTriage }, { connectors: { 'tickets.yaml': ticketsApiConnector } });
    browser = await launchBrowser();
    builder = await createTestIdentity(server.keel.db, ['builder']);
    auditor = await createTestIdentity(server.keel.db, ['admin']);
    ada = await createPerson(server, ['reviewer'], 'ada');
    bo = await createPerson(server, ['reviewer'], 'bo');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function call<T>(who: TestIdentity, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(server.url + path, {
      method, headers: { authorization: `Bearer ${who.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const got = await probe();
      if (got !== undefined) return got;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Starts a run as the builder and waits for its review task. */
  async function taskFor(workflow: string, input: Record<string, unknown>): Promise<{ runId: string; reviewId: string }> {
    const { run_id: runId } = await call<{ run_id: string }>(builder, 'POST', `/api/workflows/${workflow}/runs`, { input });
    const reviewId = await until(`the review of ${runId}`, async () => {
      const { reviews } = await call<{ reviews: { id: string }[] }>(builder, 'GET', `/api/reviews?run=${runId}`);
      return reviews[0]?.id;
    });
    return { runId, reviewId };
  }

  /** A browser profile whose waits fail within the test's time, with the step that failed named. */
  async function open(size: 'desktop' | 'phone' = 'desktop') {
    const context = await newContext(browser, size);
    context.setDefaultTimeout(10_000);
    return context;
  }

  const row = (page: Page, id: string) => page.locator(`tr[data-review="${id}"]`);

  it('shows the queue, opens a task with j and approves it with a; the task leaves and the run goes on', async () => {
    const first = await taskFor('refund-check', { customer: 'Ada Lovelace', amount: 120 });
    const context = await open();
    const page = await context.newPage();
    await signIn(page, server, ada, '/reviews');
    await row(page, first.reviewId).waitFor();
    expect(await row(page, first.reviewId).textContent()).toContain('Check the refund');

    // A task that arrives while the page is open shows up without a reload.
    const second = await taskFor('refund-check', { customer: 'Grace Hopper', amount: 75 });
    await row(page, second.reviewId).waitFor({ timeout: 20_000 });

    await page.keyboard.press('j');
    await page.waitForURL(`**/reviews/${first.reviewId}`);
    await page.getByRole('heading', { name: 'Check the refund', level: 2 }).waitFor();
    expect(await row(page, first.reviewId).getAttribute('class')).toContain('selected');
    await page.getByRole('heading', { name: 'What approval sets going' }).waitFor();
    await page.getByText('No side effect follows').waitFor();
    // At 1280 px the list and the task stand side by side.
    const list = await page.locator('.rq-list').boundingBox();
    const task = await page.locator('.rq-task').boundingBox();
    expect(task!.x).toBeGreaterThan(list!.x + list!.width - 1);
    await screenshot(page, 'review-queue');

    await page.keyboard.press('a');
    await page.getByRole('status').filter({ hasText: 'Approved “Check the refund”' }).first().waitFor();
    await row(page, first.reviewId).waitFor({ state: 'detached' });
    // The next task opens by itself.
    await page.waitForURL(`**/reviews/${second.reviewId}`);
    const run = await until('the run to finish', async () => {
      const r = await call<{ run: { status: string; output: unknown } }>(builder, 'GET', `/api/runs/${first.runId}`);
      return r.run.status === 'waiting' || r.run.status === 'running' || r.run.status === 'queued' ? undefined : r.run;
    });
    expect(run.status).toBe('succeeded');
    const decided = await call<{ status: string; decided_by: string }>(builder, 'GET', `/api/reviews/${first.reviewId}`);
    expect(decided).toMatchObject({ status: 'approved', decided_by: ada.email });
    // Leave the queue as it was found for the next test: approve the second through the API.
    await call(auditor, 'POST', `/api/reviews/${second.reviewId}/decision`, { decision: 'approve' });
    await context.close();
  });

  it('refuses an edit that breaks the output schema, naming the field, and sends the corrected one', async () => {
    const { reviewId } = await taskFor('ticket-triage', { label: 'card_arrival', confidence: 0.6 });
    const context = await open();
    const page = await context.newPage();
    await signIn(page, server, ada, `/reviews/${reviewId}`);
    await page.getByRole('heading', { name: /Approve before post/, level: 2 }).waitFor();
    // What approving sets going, as the connector would send it: the address and the body.
    const wouldSend = page.getByRole('region', { name: 'What approval sets going' });
    await wouldSend.getByText('tickets.send').waitFor();
    expect(await wouldSend.textContent()).toContain('"url": "https://tickets.example.com/api/tickets"');
    expect(await wouldSend.textContent()).toContain('"label": "card_arrival"');

    await page.keyboard.press('e');
    const editor = page.getByLabel('Edited output (JSON)');
    await expect.poll(() => editor.evaluate((el) => el.matches(':focus'))).toBe(true);
    expect(JSON.parse(await editor.inputValue())).toEqual({ label: 'card_arrival', confidence: 0.6, flags: [] });

    const proposed = await editor.inputValue();
    // Broken JSON is caught as it is typed; nothing can be sent.
    await editor.fill('{ "label": "x", ');
    await page.getByText(/JSON syntax/).waitFor();
    expect(await page.getByRole('button', { name: 'Send the edited output' }).isDisabled()).toBe(true);

    // Valid JSON the schema refuses: the server's field problem shows beside the editor.
    await editor.fill(proposed.replace('"card_arrival"', '"x"'));
    await page.getByText('Valid JSON.').waitFor();
    await page.getByText('1 removed, 1 added').waitFor();
    await page.getByRole('button', { name: 'Send the edited output' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The output schema refused' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/label/);
    await expect.poll(() => editor.inputValue()).toContain('"x"');
    await screenshot(page, 'review-edit-invalid');
    expect((await call<{ status: string }>(builder, 'GET', `/api/reviews/${reviewId}`)).status).toBe('pending');

    await editor.fill(proposed.replace('"card_arrival"', '"card_lost"'));
    await page.getByRole('button', { name: 'Send the edited output' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited and approved' }).first().waitFor();
    const decided = await call<{ status: string; decided_output: unknown; decided_by: string }>(builder, 'GET', `/api/reviews/${reviewId}`);
    expect(decided).toMatchObject({ status: 'edited', decided_by: ada.email, decided_output: { label: 'card_lost', confidence: 0.6, flags: [] } });
    await context.close();
  });

  it('tells the second reviewer plainly that someone else decided first, keeps their reason, and records one decision', async () => {
    const { reviewId } = await taskFor('refund-check', { customer: 'Alan Turing', amount: 990 });
    const first = await open();
    const second = await open();
    const pageA = await first.newPage();
    const pageB = await second.newPage();
    // B's screen must still show the task open when B acts: without its live stream, nothing tells
    // it that A decided (the moment between A's click and B's screen catching up, made long).
    await pageB.route('**/api/events', (route) => route.abort());
    await signIn(pageA, server, ada, `/reviews/${reviewId}`);
    await signIn(pageB, server, bo, `/reviews/${reviewId}`);
    await pageA.getByRole('heading', { name: 'Check the refund', level: 2 }).waitFor();
    await pageB.getByRole('heading', { name: 'Check the refund', level: 2 }).waitFor();

    const reason = pageB.getByLabel('Reject: the reason (required)');
    await pageB.keyboard.press('r');
    await expect.poll(() => reason.evaluate((el) => el.matches(':focus'))).toBe(true);
    // Typing "a" and "x" in the field must not approve or escalate anything.
    await pageB.keyboard.type('Amount exceeds the refund limit without a manager note');
    await pageB.keyboard.press('Escape');
    expect(await reason.evaluate((el) => el.matches(':focus'))).toBe(false);
    expect((await call<{ status: string }>(builder, 'GET', `/api/reviews/${reviewId}`)).status).toBe('pending');

    await pageA.keyboard.press('a');
    await pageA.getByRole('status').filter({ hasText: 'Approved “Check the refund”' }).first().waitFor();

    await pageB.getByRole('button', { name: 'Reject' }).click();
    const conflict = pageB.getByRole('alert').filter({ hasText: `Already decided by ${ada.email}: approved` });
    await conflict.waitFor();
    await expect.poll(() => reason.inputValue()).toBe('Amount exceeds the refund limit without a manager note');
    await screenshot(pageB, 'review-conflict');

    const final = await call<{ status: string; decided_by: string; comment: string | null }>(builder, 'GET', `/api/reviews/${reviewId}`);
    expect(final).toMatchObject({ status: 'approved', decided_by: ada.email, comment: null });
    const audit = await call<{ events: { actor: string }[] }>(auditor, 'GET', `/api/audit?action=review:decided&subject_id=${reviewId}`);
    expect(audit.events.map((e) => e.actor)).toEqual([ada.email]);
    await first.close();
    await second.close();
  });

  it('fits a phone: the queue, then the task on its own view with a way back', async () => {
    const { reviewId } = await taskFor('ticket-triage', { label: 'refund_request', confidence: 0.4 });
    const context = await open('phone');
    const page = await context.newPage();
    await signIn(page, server, bo, '/reviews');
    await row(page, reviewId).waitFor();
    const fits = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
    expect(await fits()).toBe(true);
    await screenshot(page, 'review-queue-phone');

    await row(page, reviewId).getByRole('link').click();
    await page.getByRole('heading', { name: /Approve before post/, level: 2 }).waitFor();
    expect(await page.locator('.rq-list').isVisible()).toBe(false);
    expect(await fits()).toBe(true);
    await screenshot(page, 'review-task-phone');
    await page.getByRole('link', { name: '← Back to the queue' }).click();
    await row(page, reviewId).waitFor();
    await context.close();
  });

  it('filters by workflow from the URL, and shows a reader the task with the decisions disabled', async () => {
    const { reviewId } = await taskFor('refund-check', { customer: 'Edsger Dijkstra', amount: 12 });
    const viewer = await createPerson(server, ['viewer'], 'vera');
    const context = await open();
    const page = await context.newPage();
    await signIn(page, server, viewer, '/reviews?scope=all&workflow=ticket-triage');
    await page.getByRole('status').filter({ hasText: /open task/ }).waitFor();
    expect(await row(page, reviewId).count()).toBe(0);
    await page.goto(`${server.url}/reviews?scope=all&workflow=refund-check`);
    await row(page, reviewId).waitFor();
    await row(page, reviewId).getByRole('link').click();
    await page.getByText('You may read this queue but not decide tasks').waitFor();
    for (const name of ['Approve', 'Edit output', 'Reject']) expect(await page.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    await page.keyboard.press('a');
    expect((await call<{ status: string }>(builder, 'GET', `/api/reviews/${reviewId}`)).status).toBe('pending');
    await context.close();
  });
});
