// The dashboard in a real browser: a Keel server on loopback (PGlite in a temporary folder, workers
// running), people with passwords, and Debian's Chromium driven by playwright-core. Screenshots go
// to test-artifacts/screenshots/ so a failed or passed run can be looked at afterwards.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startKeel, type RunningKeel } from '../../src/app.js';
import { createUser, setPassword, type GlobalRole } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = join(root, 'test-artifacts', 'screenshots');
const chromiumPath = process.env.KEEL_CHROMIUM ?? '/usr/bin/chromium';

export interface DashboardServer {
  keel: RunningKeel;
  url: string;
  stop(): Promise<void>;
}

export interface DashboardServerOptions {
  /** The environment Keel reads its configuration from (KEEL_OIDC_*, ...). */
  env?: Record<string, string>;
  /** keel.yaml's text. */
  keelYaml?: string;
  /** Connector files (name -> YAML) loaded at start, before the workflows that name them. */
  connectors?: Record<string, string>;
  /**
   * Also run what the scheduling process runs: schedules, the mail poller, the tracer (spans and the
   * metric rollups) and the monitors. Off by default, so a page's figures move only with its test's runs.
   */
  scheduler?: boolean;
}

/** A Keel server with the given workflow files (name -> YAML) deployed at start, and the built dashboard. */
export async function startDashboardServer(workflows: Record<string, string>, options: DashboardServerOptions = {}): Promise<DashboardServer> {
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) throw new Error('web/dist is not built: run npm run build');
  const dir = mkdtempSync(join(tmpdir(), 'keel-web-'));
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'prompts'));
  for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, 'workflows', name), text);
  mkdirSync(join(dir, 'connectors'));
  for (const [name, text] of Object.entries(options.connectors ?? {})) writeFileSync(join(dir, 'connectors', name), text);
  if (options.keelYaml) writeFileSync(join(dir, 'keel.yaml'), options.keelYaml);
  const config = loadConfig({
    env: options.env ?? {},
    file: join(dir, 'keel.yaml'),
    flags: {
      server: { port: 0, host: '127.0.0.1' }, database: { dataDir: join(dir, 'data'), fsync: false },
      workflowsDir: join(dir, 'workflows'), promptsDir: join(dir, 'prompts'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent',
      workers: { pollMs: 100, sweepMs: 200 },
      // The pages are shown with workflows loaded straight into production (a development instance); the gates have their own tests.
      gates: { enforce: false },
    },
  });
  const keel = await startKeel(config, { http: true, workers: true, scheduler: options.scheduler ?? false, loadWorkflows: true });
  return {
    keel, url: keel.url!,
    async stop() {
      await keel.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Person {
  email: string;
  password: string;
  id: string;
}

let people = 0;
/** A user who signs in with a password, holding the given global roles. */
export async function createPerson(server: DashboardServer, roles: GlobalRole[], name = `person${++people}`): Promise<Person> {
  const email = `${name}-${Date.now()}@example.com`;
  const password = `correct horse battery ${name} staple`;
  const user = await createUser(server.keel.db, { email, roles, displayName: name }, 'test', { minPasswordLength: 12 });
  await setPassword(server.keel.db, user.id, password, 'test', { minPasswordLength: 12 });
  return { email, password, id: user.id };
}

/** Debian's Chromium, headless, with nothing that reaches beyond loopback. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`No Chromium at ${chromiumPath}: apt-get install chromium (or set KEEL_CHROMIUM)`);
  return chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A fresh browser profile (its own cookies) at a desktop or phone-sized viewport. */
export async function newContext(browser: Browser, size: 'desktop' | 'phone' = 'desktop'): Promise<BrowserContext> {
  return browser.newContext(size === 'desktop' ? { viewport: { width: 1280, height: 800 } } : { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
}

/** Signs in through the sign-in form and waits for the header's sign-out control. */
export async function signIn(page: Page, server: DashboardServer, person: Person, path = '/'): Promise<void> {
  await page.goto(server.url + path);
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

// Runs in the page: every visible control (button, link, field) must have a name a screen reader
// can say: its text, aria-label or aria-labelledby, a <label for>, a wrapping <label>, or a title.
const unnamedControlsScript = `(() => {
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some((id) => (document.getElementById(id)?.textContent || '').trim())) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
    if ((el.getAttribute('title') || '').trim()) return true;
    if (el.matches('button, a, summary') && (el.textContent || '').trim()) return true;
    if (el.matches('input[type=submit], input[type=button]') && el.value) return true;
    return false;
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  return [...document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter((el) => visible(el) && !el.matches('pre, [role=img], svg, table, section, div[role=region]') && !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
})()`;

/** Fails naming every visible control a screen reader could not name. */
export async function expectNamedControls(page: Page): Promise<void> {
  const unnamed = await page.evaluate<string[]>(unnamedControlsScript);
  if (unnamed.length > 0) throw new Error(`controls without an accessible name on ${page.url()}:\n${unnamed.join('\n')}`);
}

/** Saves the page as test-artifacts/screenshots/<name>.png, after checking every control has a name. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await expectNamedControls(page);
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
