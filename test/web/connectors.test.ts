// Connectors, grants and the access inventory in a real browser: a viewer reads the connectors,
// their actions and their secrets' metadata (never a value, in the page or in any answer it
// read); the connector's owner approves a request from /access, rejects and revokes with a note
// from the connector's page; someone who may not decide gets no approve control; a refusal by the
// server is shown as it explained it; the navigation offers the pages only to those who may read them;
// an admin creates a connector from the form (the server's field problems shown beside the fields),
// its owner changes it from its page, and a connector described in a file is changed only there.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { connectorKinds, putSecret, saveConnector } from '../../src/connectors/index.js';
import { kindExamples } from '../../web/src/features/connectors/kind-examples.js';
import { oneStepWorkflow } from '../support/harness.js';
import { createTestIdentity, type TestIdentity } from '../support/identity.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer, type Person } from './browser.js';
import { connectorFixtures } from './fixtures.js';

const secretValue = `canary-${randomBytes(12).toString('hex')}`;

interface GrantJson {
  id: string;
  status: string;
  decided_by: string | null;
  decision_note: string | null;
}

describe('dashboard connectors and access', () => {
  let server: DashboardServer;
  let browser: Browser;
  let admin: TestIdentity, builder: TestIdentity;
  let owner: Person, viewer: Person, reviewer: Person;
  let root: string;
  const grants: Record<string, string> = {};
  /** Every API answer a page read, for the leak check in afterAll. */
  const answers: Promise<string>[] = [];

  async function callApi<T>(who: TestIdentity, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(server.url + path, {
      method, headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  const ask = async (workflow: string, connector: string, scope: string, reason?: string) =>
    (await callApi<{ grant: GrantJson }>(builder, 'POST', `/api/workflows/${workflow}/grants`, { connector, scope, reason })).grant.id;
  const grantStatus = async (id: string) =>
    (await callApi<{ grants: GrantJson[] }>(admin, 'GET', '/api/grants')).grants.find((g) => g.id === id);

  /** A signed-in page whose every /api answer is kept for the leak check. */
  async function pageAs(person: Person, path: string, size: 'desktop' | 'phone' = 'desktop'): Promise<Page> {
    const context = await newContext(browser, size);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (url.pathname.startsWith('/api/') && url.pathname !== '/api/events') answers.push(res.text().catch(() => ''));
    });
    await signIn(page, server, person, path);
    return page;
  }

  beforeAll(async () => {
    // Every page signs in afresh (its own cookies): more than the default ten sign-ins a minute from one address.
    server = await startDashboardServer({
      'mailer.yaml': oneStepWorkflow('mailer', { title: 'Mailer' }),
      'quiet.yaml': oneStepWorkflow('quiet', { title: 'Quiet' }),
      'notes.yaml': oneStepWorkflow('notes', { title: 'Notes' }),
    }, { keelYaml: 'auth:\n  signInAttemptsPerMinute: 100\n' });
    browser = await launchBrowser();
    const db = server.keel.db;
    admin = await createTestIdentity(db, ['admin']);
    builder = await createTestIdentity(db, ['builder']);
    // The owner holds no role that decides grants: owning the connectors is what lets them.
    owner = await createPerson(server, ['viewer'], 'olive');
    viewer = await createPerson(server, ['viewer'], 'vera');
    reviewer = await createPerson(server, ['reviewer'], 'rita');
    root = mkdtempSync(join(tmpdir(), 'keel-kits-'));
    await saveConnector(db, connectorFixtures.crm(owner.email), 'api', 'test');
    await saveConnector(db, connectorFixtures.kits(owner.email, root), 'api', 'test');
    await saveConnector(db, connectorFixtures.billing('finance@example.com'), 'api', 'test');
    await putSecret(db, server.keel.secretKey, { connectorId: 'crm', name: 'crm-token', value: secretValue, actor: 'test', rotationDays: 90 });
    await putSecret(db, server.keel.secretKey, { connectorId: 'billing', name: 'billing-key', value: `${secretValue}-billing`, actor: 'test' });
    await db.query(`UPDATE connector_secrets SET rotate_by = now() - interval '2 days' WHERE connector_id = 'billing'`);

    grants.read = await ask('mailer', 'crm', 'http:read', 'reads customer records');
    grants.write = await ask('quiet', 'crm', 'http:write');
    grants.files = await ask('notes', 'kits', 'files:write');
    await callApi(admin, 'POST', `/api/grants/${grants.files}/decision`, { decision: 'approve' });
    grants.billing = await ask('quiet', 'billing', 'http:read');
  }, 60_000);

  afterAll(async () => {
    const texts = await Promise.all(answers);
    await browser?.close();
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) expect(text.includes(secretValue), 'an answer the dashboard read holds a secret value').toBe(false);
  });

  it('shows a viewer the connectors, their actions and secret metadata, never a value, and no decision controls', async () => {
    const page = await pageAs(viewer, '/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Access' }).waitFor();
    await nav.getByRole('link', { name: 'Connectors' }).click();
    const list = page.getByRole('table', { name: 'Connectors' });
    const crm = list.locator('tr[data-connector="crm"]');
    await crm.waitFor();
    expect(await crm.locator('td').allTextContents()).toEqual([
      'http', owner.email, '2', 'http:readhttp:write', expect.stringMatching(/^crm-token v1 · rotate by /), 'crm.internal.example:8443',
    ]);
    expect(await list.locator('tr[data-connector="billing"] td[data-label="Secrets"]').textContent()).toMatch(/billing-key v1 · rotation due \(since /);
    expect(await list.locator('tr[data-connector="billing"] time.overdue').count()).toBe(1);
    expect(await list.locator('tr[data-connector="kits"] td[data-label="Secrets"]').textContent()).toBe('none');
    await screenshot(page, 'connectors');

    await crm.getByRole('link', { name: 'crm' }).click();
    await page.getByRole('heading', { name: 'Customer records', level: 1 }).waitFor();
    const actions = page.getByRole('table', { name: 'Actions' });
    await actions.getByRole('row', { name: /get/ }).waitFor();
    expect((await actions.locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      'get http:read idempotent read only', 'send http:write unsafe side effect: changes the source system',
    ]);
    const secrets = page.getByRole('table', { name: 'Secrets' });
    await secrets.getByRole('cell', { name: 'crm-token' }).waitFor();
    expect(await secrets.locator('tbody td').nth(1).textContent()).toBe('v1');
    const pending = page.getByRole('table', { name: 'Grants' }).locator(`tr[data-grant="${grants.read}"]`);
    await pending.getByText('requested', { exact: true }).waitFor();
    expect(await pending.textContent()).toContain('reads customer records');
    expect(await pending.textContent()).toContain(`${owner.email} (the connector's owner) or an admin decides`);
    expect(await page.getByRole('button', { name: /^(Approve|Reject|Revoke)/ }).count()).toBe(0);
    expect(await page.content()).not.toContain(secretValue);
    await page.getByText('Configuration (secret names only)').click();
    expect(await page.getByRole('region', { name: 'Ownership' }).textContent()).toContain('"token_secret": "crm-token"');
    await screenshot(page, 'connector');

    await nav.getByRole('link', { name: 'Access' }).click();
    await page.getByText('Nothing waits for your decision.').waitFor();
    const others = page.getByRole('table', { name: 'Requests waiting for someone else' });
    await others.locator(`tr[data-grant="${grants.read}"]`).waitFor();
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);

    const phone = await pageAs(viewer, '/connectors', 'phone');
    await phone.getByRole('table', { name: 'Connectors' }).locator('tr[data-connector="crm"]').waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(phone, 'connectors-phone');
    await phone.goto(server.url + '/connectors/crm');
    await phone.getByRole('table', { name: 'Grants' }).locator(`tr[data-grant="${grants.read}"]`).waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(phone, 'connector-phone');
    await phone.context().close();
    await page.context().close();
  }, 60_000);

  it('lets the owner approve the oldest request from /access, and the grant is approved', async () => {
    const page = await pageAs(owner, '/access');
    const toApprove = page.getByRole('table', { name: 'Grants to approve' });
    await toApprove.locator(`tr[data-grant="${grants.read}"]`).waitFor();
    // Oldest first; the billing request is someone else's to decide.
    expect(await toApprove.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-grant')))).toEqual([grants.read, grants.write]);
    await page.getByRole('table', { name: 'Requests waiting for someone else' }).locator(`tr[data-grant="${grants.billing}"]`).waitFor();
    const rotation = page.getByRole('table', { name: 'Secrets due for rotation' });
    expect(await rotation.locator('tr[data-connector="billing"]').textContent()).toMatch(/finance-ops@example\.com.*billing-key.*rotation due/);
    const download = page.getByRole('link', { name: 'Download the inventory as Markdown' });
    expect(await download.getAttribute('href')).toBe('/api/access/inventory?format=markdown');
    // The session cookie carries a plain link: the same request from the page answers the Markdown.
    expect(await page.evaluate(() => fetch('/api/access/inventory?format=markdown').then((r) => r.text()))).toContain('# Access inventory');
    await screenshot(page, 'access');

    await page.getByRole('button', { name: 'Approve http:read for mailer on crm' }).click();
    await page.getByLabel('Valid until (optional)').waitFor();
    await screenshot(page, 'access-approve');
    await page.getByRole('button', { name: 'Confirm: approve http:read for mailer on crm' }).click();
    await page.getByRole('status').getByText('Approved http:read for mailer on crm.').waitFor();
    await expect.poll(() => toApprove.locator(`tr[data-grant="${grants.read}"]`).count()).toBe(0);
    const mailer = page.getByRole('table', { name: 'Access of mailer' });
    await mailer.getByText('approved', { exact: true }).waitFor();
    expect(await mailer.locator('tbody tr').first().textContent()).toMatch(/^crm http.*http:read.*approved.*no expiry.*never.*no$/);
    expect(await grantStatus(grants.read!)).toMatchObject({ status: 'approved', decided_by: owner.email });

    const phone = await pageAs(owner, '/access', 'phone');
    await phone.getByRole('table', { name: 'Grants to approve' }).locator(`tr[data-grant="${grants.write}"]`).waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(phone, 'access-phone');
    await phone.context().close();
    await page.context().close();
  }, 60_000);

  it('rejects and revokes with a required note from the connector page', async () => {
    const page = await pageAs(owner, '/connectors/crm');
    const row = page.getByRole('table', { name: 'Grants' }).locator(`tr[data-grant="${grants.write}"]`);
    await row.getByRole('button', { name: 'Reject http:write for quiet on crm' }).click();
    const confirm = row.getByRole('button', { name: 'Confirm: reject http:write for quiet on crm' });
    await confirm.click();
    await row.getByText('Write a note saying why').waitFor();
    expect(await row.getByLabel('Why reject (required)').getAttribute('aria-invalid')).toBe('true');
    await row.getByLabel('Why reject (required)').fill('quiet only reads');
    await confirm.click();
    await page.getByRole('status').getByText('Rejected http:write for quiet on crm.').waitFor();
    await row.getByText('rejected', { exact: true }).waitFor();
    expect(await row.textContent()).toContain('“quiet only reads”');
    expect(await grantStatus(grants.write!)).toMatchObject({ status: 'rejected', decided_by: owner.email, decision_note: 'quiet only reads' });

    await page.goto(server.url + '/connectors/kits');
    const files = page.getByRole('table', { name: 'Grants' }).locator(`tr[data-grant="${grants.files}"]`);
    const revoke = files.getByRole('button', { name: 'Revoke files:write for notes on kits' });
    await revoke.click();
    // Escape closes the form and gives the focus back to the control that opened it.
    await files.getByLabel('Why revoke (required)').press('Escape');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Revoke files:write for notes on kits');
    await revoke.press('Enter');
    await files.getByLabel('Why revoke (required)').fill('notes moved to the wiki');
    await screenshot(page, 'connector-revoke');
    await files.getByRole('button', { name: 'Confirm: revoke files:write for notes on kits' }).click();
    await files.getByText('revoked', { exact: true }).waitFor();
    expect(await grantStatus(grants.files!)).toMatchObject({ status: 'revoked', decided_by: owner.email, decision_note: 'notes moved to the wiki' });
    await page.context().close();
  }, 60_000);

  it('shows the server\'s refusal as it explained it', async () => {
    const id = await ask('mailer', 'crm', 'http:write');
    const page = await pageAs(owner, '/connectors/crm');
    const row = page.getByRole('table', { name: 'Grants' }).locator(`tr[data-grant="${id}"]`);
    await row.getByRole('button', { name: 'Approve http:write for mailer on crm' }).click();
    // The connector changes hands while the page is open: the server, not the page, decides.
    await saveConnector(server.keel.db, { ...connectorFixtures.crm('new-owner@example.com') }, 'api', 'test');
    await row.getByRole('button', { name: 'Confirm: approve http:write for mailer on crm' }).click();
    await row.getByRole('alert').getByText(`Only new-owner@example.com (the owner of connector crm) or an admin may decide its grants; ${owner.email} is neither.`).waitFor();
    expect(await grantStatus(id)).toMatchObject({ status: 'requested' });
    await page.context().close();
  }, 60_000);

  it('offers Connectors and Access only to people who may read connectors', async () => {
    const page = await pageAs(reviewer, '/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Review queue' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Connectors' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Access' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('lets an owner or admin store a new secret value, which the page then shows only as a new version', async () => {
    const viewerPage = await pageAs(viewer, '/connectors/crm');
    await viewerPage.getByRole('table', { name: 'Secrets' }).getByRole('cell', { name: 'crm-token' }).waitFor();
    expect(await viewerPage.getByRole('form', { name: 'Store a new secret value' }).count()).toBe(0);
    await viewerPage.context().close();

    // An admin: an earlier test handed crm to another owner.
    const page = await pageAs(await createPerson(server, ['admin'], 'ada'), '/connectors/crm');
    const form = page.getByRole('form', { name: 'Store a new secret value' });
    // The value contains the planted one, so the leak check over every answer covers it too.
    await form.getByLabel('New value').fill(`${secretValue}-rotated`);
    await form.getByRole('button', { name: 'Store' }).click();
    await page.getByRole('status').getByText('Stored crm-token: version 2.').waitFor();
    await page.getByRole('table', { name: 'Secrets' }).getByRole('cell', { name: 'v2' }).waitFor();
    await expect.poll(() => form.getByLabel('New value').inputValue()).toBe('');
    expect(await page.content()).not.toContain(secretValue);
    const crm = await callApi<{ secrets: Array<{ name: string; version: number }> }>(admin, 'GET', '/api/connectors/crm');
    expect(crm.secrets).toEqual([expect.objectContaining({ name: 'crm-token', version: 2 })]);
    await page.context().close();
  }, 60_000);

  it('prefills every kind with an example config its own schema accepts', () => {
    expect(kindExamples.map((k) => k.kind).sort()).toEqual([...connectorKinds.keys()].sort());
    for (const { kind, example } of kindExamples) {
      const parsed = connectorKinds.get(kind)!.config.safeParse(example);
      expect(parsed.success, `${kind}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it('lets an admin create a connector: the refused config is shown by field, the fixed one lands on its page, where its token is stored', async () => {
    const ann = await createPerson(server, ['admin'], 'ann');
    const page = await pageAs(ann, '/connectors');
    await page.getByRole('link', { name: 'New connector' }).click();
    const form = page.getByRole('form', { name: 'New connector' });
    const config = form.getByLabel('Config (JSON)');
    await form.getByLabel('Id', { exact: true }).fill('tickets-api');
    // Keyboard order follows the form: the kind comes next.
    await form.getByLabel('Id', { exact: true }).press('Tab');
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('SELECT');
    expect(await form.getByLabel('Kind', { exact: true }).locator('option').allTextContents()).toHaveLength(6);
    await expect.poll(() => form.getByLabel('Owner', { exact: true }).inputValue()).toBe(ann.email);
    expect(JSON.parse(await config.inputValue())).toEqual({ base_url: 'https://api.example.com', auth: { type: 'bearer', token_secret: 'api-token' } });
    // An untouched example follows the kind.
    await form.getByLabel('Kind', { exact: true }).selectOption('postgres');
    await expect.poll(async () => JSON.parse(await config.inputValue()).url_secret).toBe('orders-db-url');
    await form.getByLabel('Kind', { exact: true }).selectOption('http');
    await expect.poll(async () => JSON.parse(await config.inputValue()).auth?.token_secret).toBe('api-token');

    await form.getByLabel('Title').fill('Helpdesk tickets');
    await form.getByLabel('Credential owner (optional)').fill('it@example.com');
    await form.getByLabel('Rotation days (optional)').fill('60');
    await form.getByLabel('Allow-listed hosts (optional)').fill('tickets.internal.example:8443,\n127.0.0.1');
    // The id of an existing connector is refused before anything is sent (a PUT would change it).
    await form.getByLabel('Id', { exact: true }).fill('kits');
    await form.getByRole('button', { name: 'Create connector' }).click();
    await form.getByRole('listitem').filter({ hasText: 'id: a connector kits exists already' }).waitFor();
    expect(await form.getByLabel('Id', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Id', { exact: true }).fill('tickets-api');
    await config.fill('{ "base_url": ');
    await form.getByText(/^JSON syntax: /).waitFor();
    expect(await config.getAttribute('aria-invalid')).toBe('true');
    const bad = { base_url: 'tickets.example.com/api', auth: { type: 'bearer', token_secret: 'tickets-token' } };
    await config.fill(JSON.stringify(bad, null, 2));
    await form.getByText('Valid JSON.').waitFor();
    await form.getByRole('button', { name: 'Create connector' }).click();
    await form.getByRole('listitem').filter({ hasText: 'config.base_url: not a URL' }).waitFor();
    await form.getByRole('alert').getByText(/The http connector tickets-api is not valid\./).waitFor();
    expect(await config.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("id")')).toBe(await config.getAttribute('id'));
    await screenshot(page, 'connector-new-refused');
    await expect(callApi(admin, 'GET', '/api/connectors/tickets-api')).rejects.toThrow(/answered 404/);

    const good = { ...bad, base_url: 'https://tickets.example.com/api' };
    await config.fill(JSON.stringify(good, null, 2));
    await form.getByRole('button', { name: 'Create connector' }).click();
    await page.getByRole('heading', { name: 'Helpdesk tickets', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/connectors/tickets-api');
    await page.getByText(/No value is stored yet for tickets-token/).waitFor();
    const secretForm = page.getByRole('form', { name: 'Store a new secret value' });
    await expect.poll(() => secretForm.getByLabel('Secret').inputValue()).toBe('tickets-token');
    await secretForm.getByLabel('New value').fill(`${secretValue}-tickets`);
    await secretForm.getByRole('button', { name: 'Store' }).click();
    await page.getByRole('status').getByText('Stored tickets-token: version 1.').waitFor();
    await page.getByRole('table', { name: 'Secrets' }).getByRole('cell', { name: 'tickets-token' }).waitFor();
    expect(await page.content()).not.toContain(secretValue);
    expect(await callApi(admin, 'GET', '/api/connectors/tickets-api')).toMatchObject({
      kind: 'http', title: 'Helpdesk tickets', owner: ann.email, credential_owner: 'it@example.com', rotation_days: 60, source: 'api',
      allow_hosts: ['tickets.internal.example:8443', '127.0.0.1'], config: good, secrets: [expect.objectContaining({ name: 'tickets-token', version: 1 })],
    });

    const phone = await pageAs(ann, '/connectors/new', 'phone');
    await phone.getByRole('form', { name: 'New connector' }).getByLabel('Config (JSON)').waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(phone, 'connector-new-phone');
    await phone.context().close();
    await page.context().close();
  }, 60_000);

  it('offers a viewer neither a New connector control nor an edit of a connector they do not own', async () => {
    const page = await pageAs(viewer, '/connectors');
    await page.getByRole('table', { name: 'Connectors' }).locator('tr[data-connector="kits"]').waitFor();
    expect(await page.getByRole('link', { name: 'New connector' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'New connector' }).count()).toBe(0);
    await page.goto(server.url + '/connectors/new');
    await page.getByText('Only an admin creates connectors.').waitFor();
    expect(await page.getByRole('form', { name: 'New connector' }).count()).toBe(0);
    await page.goto(server.url + '/connectors/kits');
    await page.getByRole('table', { name: 'Actions' }).waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('lets a connector\'s owner change its title from its page, with its id and kind fixed', async () => {
    const page = await pageAs(owner, '/connectors/kits');
    await page.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit connector kits' });
    expect(await form.getByLabel('Id', { exact: true }).getAttribute('readonly')).not.toBeNull();
    expect(await form.getByLabel('Kind', { exact: true }).getAttribute('readonly')).not.toBeNull();
    await expect.poll(() => form.getByLabel('Kind', { exact: true }).inputValue()).toBe('files');
    expect(JSON.parse(await form.getByLabel('Config (JSON)').inputValue())).toEqual({ root });
    await form.getByLabel('Title').fill('Welcome kits for new starters');
    await screenshot(page, 'connector-edit');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Welcome kits for new starters', level: 1 }).waitFor();
    await page.getByRole('status').getByText('Saved kits.').waitFor();
    expect(await form.count()).toBe(0);
    expect(await callApi(admin, 'GET', '/api/connectors/kits')).toMatchObject({ title: 'Welcome kits for new starters', kind: 'files', owner: owner.email, config: { root } });
    await page.context().close();
  }, 60_000);

  it('offers no edit of a connector described in a file, and says it is changed there', async () => {
    await saveConnector(server.keel.db, { id: 'drop', kind: 'files', title: 'Mail drop', owner: owner.email, config: { root } }, 'file', 'test');
    const page = await pageAs(await createPerson(server, ['admin'], 'abe'), '/connectors/drop');
    await page.getByRole('heading', { name: 'Mail drop', level: 1 }).waitFor();
    await page.getByRole('note').filter({ hasText: 'change it there' }).waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);
});
