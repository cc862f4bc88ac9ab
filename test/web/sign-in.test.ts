// Signing in through the dashboard's own form, and what a wrong password shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer } from './browser.js';

const externalWorkflow = `id: invoice-matching
title: Invoice to purchase-order matching (n8n)
kind: external
owner: finance-ops@example.com
team: finance
risk: high
metric: { name: invoices matched without a person, unit: percent, baseline: 0, target: 70 }
`;

describe('dashboard sign-in', () => {
  let server: DashboardServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startDashboardServer({ 'invoice-matching.yaml': externalWorkflow });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in with a password and shows who is signed in; a wrong password is refused with a message', async () => {
    const person = await createPerson(server, ['admin'], 'ada');
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/email or password/i);
    await screenshot(page, 'sign-in-refused');
    await signIn(page, server, person);
    await page.getByText('ada', { exact: true }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await screenshot(page, 'signed-in');
    await context.close();
  });
});
