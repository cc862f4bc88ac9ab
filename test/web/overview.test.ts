// The overview in a real browser: every workflow with its figures, filters and sort kept in the URL,
// and a run started through the API showing up in "runs today" without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestIdentity } from '../support/identity.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer } from './browser.js';
import { paymentsApiConnector, refundCheck } from './fixtures.js';


const welcomeNote = `id: welcome-note
title: New starter welcome note
owner: people-ops@example.com
team: people
risk: low
triggers:
  - manual: {}
input: { type: object }
steps:
  - id: note
    kind: transform
    expression: '{ "text": "Welcome" }'
metric: { name: notes sent on day one, unit: percent, target: 95 }
runbook:
  next_review: 2099-06-30
`;

const invoiceMatching = `id: invoice-matching
title: Invoice to purchase-order matching (n8n)
kind: external
owner: finance-ops@example.com
team: finance
description: Matches supplier invoices to purchase orders in the accounting system; runs in n8n.
risk: high
metric: { name: invoices matched without a person, unit: percent, baseline: 0, target: 70 }
exclusions: ["invoices over 10,000 EUR", new suppliers]
runbook:
  rollback: Disable the n8n flow "invoice-matching"; finance matches by hand meanwhile.
  stop_conditions: [a payment is made against a wrong purchase order]
  contacts: [finance-ops@example.com]
  next_review: 2027-02-01
`;

/** Calls the API as a token holder (what an integration or the CLI does), outside the browser. */
async function callApi(url: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const names = async (page: Page) => (await page.locator('.overview-table tbody th a').allTextContents());

async function waitForRows(page: Page, count: number): Promise<void> {
  await expect.poll(() => page.locator('.overview-table tbody tr').count(), { timeout: 10_000 }).toBe(count);
}

/** The page itself never scrolls sideways (tables scroll inside their frame). */
function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1') as Promise<boolean>;
}

describe('dashboard overview', () => {
  let server: DashboardServer;
  let browser: Browser;
  let token: string;
  beforeAll(async () => {
    server = await startDashboardServer({ 'refund-check.yaml': refundCheck, 'welcome-note.yaml': welcomeNote, 'invoice-matching.yaml': invoiceMatching }, { connectors: { 'payments-api.yaml': paymentsApiConnector } });
    browser = await launchBrowser();
    token = (await createTestIdentity(server.keel.db, ['admin'])).token;
    // One open review task, asked for by the external workflow, so the queue columns have something.
    await callApi(server.url, token, 'POST', '/api/workflows/invoice-matching/reviews', {
      title: 'Match invoice INV-1042', payload: { invoice: 'INV-1042' }, proposed: { purchase_order: 'PO-77' },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists every workflow, narrows by risk and owner, sorts by a column, and keeps the view in the URL', async () => {
    const person = await createPerson(server, ['admin'], 'olive');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, server, person);
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    await waitForRows(page, 3);
    expect(await names(page)).toEqual(['Invoice to purchase-order matching (n8n)', 'New starter welcome note', 'Refund request check']);
    const invoiceRow = page.getByRole('row', { name: /Invoice to purchase-order/ });
    expect(await invoiceRow.locator('td[data-label="Kind"]').textContent()).toBe('external');
    expect(await invoiceRow.locator('td[data-label="Review queue"]').textContent()).toBe('1 open');
    expect(await page.getByRole('row', { name: /Refund request check/ }).locator('td[data-label="Stages"]').textContent()).toContain('production v1');

    await page.getByLabel('Risk').selectOption('high');
    await waitForRows(page, 1);
    expect(await names(page)).toEqual(['Invoice to purchase-order matching (n8n)']);
    expect(page.url()).toContain('risk=high');

    await page.getByLabel('Risk').selectOption('');
    await page.getByLabel('Owner').selectOption('people-ops@example.com');
    await waitForRows(page, 1);
    expect(await names(page)).toEqual(['New starter welcome note']);

    await page.getByLabel('Search').fill('no such workflow');
    await page.getByText('No workflow matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await waitForRows(page, 3);

    // Risk sorts high first on the first click, then the other way round.
    const riskHeader = page.getByRole('columnheader', { name: /Risk/ });
    await riskHeader.getByRole('button').click();
    expect(await riskHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await names(page)).toEqual(['Invoice to purchase-order matching (n8n)', 'Refund request check', 'New starter welcome note']);
    await riskHeader.getByRole('button').click();
    expect(await riskHeader.getAttribute('aria-sort')).toBe('ascending');
    expect((await names(page))[0]).toBe('New starter welcome note');
    expect(page.url()).toContain('sort=risk');

    // A linked view opens as it was left.
    await page.goto(server.url + '/?team=payments');
    await waitForRows(page, 1);
    await expect.poll(() => page.getByLabel('Team').inputValue()).toBe('payments');

    // Each title opens the workflow's page; an external one has no steps to draw but its card.
    await page.getByLabel('Team').selectOption('finance');
    await page.getByRole('link', { name: 'Invoice to purchase-order matching (n8n)' }).click();
    await page.getByRole('heading', { name: 'Invoice to purchase-order matching (n8n)', level: 1 }).waitFor();
    expect(page.url()).toBe(server.url + '/workflows/invoice-matching');
    await page.getByText('This workflow declares no steps').waitFor();
    expect(await page.getByRole('region', { name: 'Metric and runbook' }).textContent()).toContain('baseline 0 percent → target 70 percent');
    await screenshot(page, 'workflow-external');
    await context.close();
  }, 60_000);

  it('shows a run started through the API in "runs today" without a reload', async () => {
    const person = await createPerson(server, ['viewer'], 'vera');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, server, person);
    const runsToday = page.getByRole('row', { name: /Refund request check/ }).locator('td[data-label="Runs today"] .runs-today');
    await runsToday.waitFor();
    const before = Number(await runsToday.textContent());
    // Over the event stream, not the polling fallback.
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await callApi(server.url, token, 'POST', '/api/workflows/refund-check/runs', { input: { amount: 20 } });
    await callApi(server.url, token, 'POST', '/api/workflows/refund-check/runs', { input: { amount: 35 } });
    await expect.poll(async () => Number(await runsToday.textContent()), { timeout: 15_000 }).toBe(before + 2);
    await page.waitForTimeout(300);
    await screenshot(page, 'overview');
    await context.close();

    const phone = await newContext(browser, 'phone');
    const small = await phone.newPage();
    await signIn(small, server, person);
    await waitForRows(small, 3);
    expect(await fitsWidth(small)).toBe(true);
    await screenshot(small, 'overview-phone');
    await phone.close();
  }, 60_000);

  it('falls back to polling when the event stream cannot be held, and still shows new runs', async () => {
    const person = await createPerson(server, ['viewer'], 'paul');
    const context = await newContext(browser);
    // A proxy that refuses the stream: every attempt fails.
    await context.route('**/api/events', (route) => route.abort());
    const page = await context.newPage();
    await signIn(page, server, person);
    const runsToday = page.getByRole('row', { name: /Refund request check/ }).locator('td[data-label="Runs today"] .runs-today');
    await runsToday.waitFor();
    await page.getByRole('status').filter({ hasText: 'polling' }).waitFor({ timeout: 20_000 });
    const before = Number(await runsToday.textContent());
    await callApi(server.url, token, 'POST', '/api/workflows/refund-check/runs', { input: { amount: 50 } });
    await expect.poll(async () => Number(await runsToday.textContent()), { timeout: 15_000 }).toBe(before + 1);
    await context.close();
  }, 60_000);
});
