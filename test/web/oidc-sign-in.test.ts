// Single sign-on from the dashboard: the sign-in page offers the configured provider, the round trip
// runs in the browser (state cookie, provider, callback), and the person lands where they started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createUser } from '../../src/auth/index.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { launchBrowser, newContext, screenshot, startDashboardServer, type DashboardServer } from './browser.js';

describe('dashboard single sign-on', () => {
  let issuer: TestIssuer;
  let server: DashboardServer;
  let browser: Browser;
  beforeAll(async () => {
    issuer = await startTestIssuer();
    server = await startDashboardServer({}, {
      keelYaml: 'auth:\n  oidc:\n    label: Acme SSO\n    allowInsecureHttp: true\n',
      env: {
        KEEL_OIDC_ISSUER: issuer.issuer, KEEL_OIDC_CLIENT_ID: issuer.clientId, KEEL_OIDC_CLIENT_SECRET: issuer.clientSecret,
        KEEL_EGRESS_ALLOW_HOSTS: issuer.host,
      },
    });
    issuer.register(`${server.url}/api/auth/oidc/callback`);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await issuer?.close();
  });

  it('signs in through the provider from the sign-in page and returns to the page asked for', async () => {
    await createUser(server.keel.db, { email: 'grace@acme.example', roles: ['viewer'], displayName: 'Grace' }, 'test', { minPasswordLength: 12 });
    issuer.accounts.set('grace', { email: 'grace@acme.example', email_verified: true });
    const context = await newContext(browser);
    const page = await context.newPage();
    // The test provider's login page logs the browser in as Grace at once.
    issuer.browserAccount = 'grace';
    await page.goto(`${server.url}/runs?status=failed`);
    const sso = page.getByRole('link', { name: 'Sign in with Acme SSO' });
    await sso.waitFor();
    await screenshot(page, 'sign-in-sso');
    await sso.click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const landed = new URL(page.url());
    expect(landed.pathname + landed.search).toBe('/runs?status=failed');
    await page.getByText('Grace', { exact: true }).waitFor();
    await context.close();
  });
});
