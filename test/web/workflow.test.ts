// A workflow's own page in a real browser: the card read from its file, the flow with the runs
// counted on each move, a second version compared with the first side by side, and an email
// trigger described with its state (last read, why it cannot read, skipped mail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestIdentity } from '../support/identity.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer } from './browser.js';
import { paymentsApiConnector, refundCheck } from './fixtures.js';


// A loop: a rejected draft goes back to be written again.
const draftReply = `id: draft-reply
title: Customer reply drafting
owner: support-lead@example.com
team: support
risk: low
triggers:
  - manual: {}
input: { type: object }
steps:
  - id: draft
    kind: transform
    expression: '{ "reply": "Thank you" }'
  - id: tone
    kind: route
    routes:
      - when: 'size(steps.draft.reply) > 500'
        to: shorten
    default: check
  - id: shorten
    kind: transform
    expression: '{ "reply": "Thanks" }'
  - id: check
    kind: review
    title: Check the reply
    on_reject: draft
`;

// The second version: a sharper target, a longer description, and the large-refund limit moved.
const refundCheckV2 = refundCheck
  .replace('description: Decides small refunds at once and sends large ones to the payments API for a check.',
    'description: |\n  Decides small refunds at once.\n  Sends large ones to the payments API for a check.')
  .replace('input.amount > 100', 'input.amount > 250')
  .replace('baseline: 10, target: 80', 'baseline: 10, target: 90');

/** Calls the API as a token holder (what an integration or the CLI does), outside the browser. */
// Started by new mail; its connector's mailbox is never read here (the page is given the trigger's state).
const mailIntake = `id: mail-intake
title: Mail intake
owner: support-lead@example.com
risk: low
triggers:
  - email: { connector: helpdesk-mail }
input: { type: object }
access:
  - { connector: helpdesk-mail, scopes: ["email:read"] }
steps:
  - id: note
    kind: transform
    expression: 'input'
`;

const helpdeskMailConnector = `id: helpdesk-mail
kind: email
title: Helpdesk mailbox
owner: it@example.com
config:
  smtp: { host: mail.example.com, port: 587, from: support@example.com }
  imap: { host: mail.example.com, port: 993, secure: true, username: support, password_secret: imap-password }
secrets:
  imap-password: { env: KEEL_CONNECTOR_HELPDESK_MAIL_IMAP }
`;

async function callApi(url: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function runToEnd(url: string, token: string, input: unknown): Promise<void> {
  const { run_id } = (await callApi(url, token, 'POST', '/api/workflows/refund-check/runs', { input })) as { run_id: string };
  for (let i = 0; i < 100; i++) {
    const { run } = (await callApi(url, token, 'GET', `/api/runs/${run_id}`)) as { run: { status: string } };
    if (['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'].includes(run.status)) {
      expect(run.status).toBe('succeeded');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${run_id} did not finish`);
}

/** The flow's text alternative as [from, to, runs] rows. */
async function flowRows(page: Page): Promise<string[][]> {
  const trs = await page.locator('.flow-table tbody tr').all();
  return Promise.all(trs.map((tr) => tr.locator('td').allTextContents()));
}

describe('dashboard workflow page', () => {
  let server: DashboardServer;
  let browser: Browser;
  let token: string;
  beforeAll(async () => {
    server = await startDashboardServer({ 'refund-check.yaml': refundCheck, 'draft-reply.yaml': draftReply, 'mail-intake.yaml': mailIntake }, {
      connectors: { 'payments-api.yaml': paymentsApiConnector, 'helpdesk-mail.yaml': helpdeskMailConnector },
      env: { KEEL_CONNECTOR_HELPDESK_MAIL_IMAP: 'imap-test-password' },
    });
    browser = await launchBrowser();
    token = (await createTestIdentity(server.keel.db, ['admin'])).token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the card, the flow counted per move, and a new version side by side with the old', async () => {
    await runToEnd(server.url, token, { amount: 20 });
    await runToEnd(server.url, token, { amount: 40 });
    const person = await createPerson(server, ['viewer'], 'wanda');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, server, person, '/workflows/refund-check');
    await page.getByRole('heading', { name: 'Refund request check', level: 1 }).waitFor();

    const owner = page.getByRole('region', { name: 'Ownership' });
    await owner.getByText('payments-lead@example.com').waitFor();
    const metric = page.getByRole('region', { name: 'Metric and runbook' });
    expect(await metric.textContent()).toContain('baseline 10 percent → target 80 percent');
    await metric.getByText('2024-01-15').waitFor();
    expect(await metric.textContent()).toContain('past, the review is due');
    const actions = page.getByRole('region', { name: 'Systems and actions' });
    expect(await actions.textContent()).toMatch(/request_check: payments-api\.send\s*idempotent/);
    await page.getByRole('region', { name: 'Approval boundary' }).getByRole('cell', { name: 'output.amount > 1000' }).waitFor();
    expect(await page.getByRole('link', { name: 'Runs of this workflow' }).getAttribute('href')).toBe('/runs?workflow=refund-check');
    expect(await page.getByRole('link', { name: 'Review queue', exact: true }).last().getAttribute('href')).toBe('/reviews?workflow=refund-check');

    // Both runs took the small-refund branch: two through the route, none to the action.
    const graph = page.getByRole('img', { name: /Flow of Refund request check/ });
    await graph.waitFor();
    await expect.poll(() => flowRows(page), { timeout: 10_000 }).toContainEqual(['size', 'small', '2', 'yes']);
    const rows = await flowRows(page);
    expect(rows.find((r) => r[1] === 'request_check' || r[1] === 'Approval boundary')?.[2]).toBe('0');
    expect(await page.locator('.flow-edge:not(.faint) .flow-count text').allTextContents()).toContain('2');
    // The flow's own controls (the metrics section has a stage too).
    const flow = page.getByRole('region', { name: 'Flow' });
    await flow.getByLabel('Window').selectOption('1h');
    expect(page.url()).toContain('window=1h');
    await flow.getByLabel('Stage').selectOption('sandbox');
    await page.getByText('No run at sandbox in the last hour').waitFor();
    await flow.getByLabel('Stage').selectOption('production');

    await callApi(server.url, token, 'POST', '/api/workflows/deploy', { source: refundCheckV2, source_name: 'refund-check.yaml', stage: 'production' });
    await page.reload();
    await page.getByRole('cell', { name: /^v2/ }).waitFor();
    const diff = page.locator('table.diff.side-by-side');
    await diff.waitFor();
    expect(await diff.locator('thead').textContent()).toBe('v1 (from)v2 (to)');
    const target = diff.locator('tbody', { has: page.getByText('metric.target', { exact: true }) });
    expect(await target.locator('td.del').textContent()).toBe('removed: 80');
    expect(await target.locator('td.add').textContent()).toBe('added: 90');
    const description = diff.locator('tbody', { has: page.getByText('description', { exact: true }) });
    expect(await description.locator('td.add').allTextContents()).toContain('added: Sends large ones to the payments API for a check.');
    // The card now describes what production runs: version 2.
    expect(await metric.textContent()).toContain('target 90 percent');
    await screenshot(page, 'workflow');

    // Branches and a loop back are drawn; the file's moves are listed even before any run.
    await page.goto(server.url + '/workflows/draft-reply');
    await page.getByRole('img', { name: /Flow of Customer reply drafting/ }).waitFor();
    expect(await flowRows(page)).toContainEqual(['Check the reply', 'draft', '0', 'yes']);
    expect(await page.locator('.flow-edge.faint').count()).toBeGreaterThan(4);
    await screenshot(page, 'workflow-loop');

    const phone = await newContext(browser, 'phone');
    const small = await phone.newPage();
    await signIn(small, server, person, '/workflows/refund-check');
    await small.getByRole('img', { name: /Flow of Refund request check/ }).waitFor();
    expect(await small.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(small, 'workflow-phone');
    await phone.close();
    await context.close();
  }, 90_000);

  it('describes an email trigger and shows its state: when it last tried, why it cannot read, what it skipped', async () => {
    // What the mail poller stores after a refused login and two messages that broke the contract.
    const refused = { code: 'misconfigured', message: 'The IMAP server mail.example.com:993 refused the login of user support.', hint: 'Check the connector\'s imap username and the secret imap-password.', retriable: false };
    const skipped = { uid: 7, uid_validity: '1', at: new Date().toISOString(), error: { code: 'invalid_input', message: 'The event does not match the input contract of mail-intake.', retriable: false, problems: [{ path: 'input.from', message: 'must be string' }] } };
    await server.keel.db.query(
      `UPDATE mail_triggers SET last_polled_at = now() - interval '2 minutes', last_error = $1::jsonb, skipped_count = 2, last_skipped = $2::jsonb,
         uid_validity = '1', last_uid = 9 WHERE workflow_id = 'mail-intake'`,
      [JSON.stringify(refused), JSON.stringify(skipped)],
    );
    const person = await createPerson(server, ['viewer'], 'mira');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, server, person, '/workflows/mail-intake');
    const owner = page.getByRole('region', { name: 'Ownership' });
    await owner.getByText('new mail in helpdesk-mail every 30s').waitFor();
    const alert = owner.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Cannot read the mailbox: The IMAP server mail.example.com:993 refused the login of user support.');
    const state = owner.getByRole('list', { name: 'State of the email trigger on helpdesk-mail' });
    expect(await state.textContent()).toMatch(/production: last tried 2 min ago, at message UID 9; 2 skipped \(last: message UID 7, input\.from must be string\)/);
    await screenshot(page, 'workflow-email-trigger');
    await context.close();
  }, 60_000);
});
