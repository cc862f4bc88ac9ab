// The dashboard's weight and first load. Builds web/ as `npm run build` does, then measures:
// - the production bundle: every file index.html loads (JS, CSS, the page), gzipped (zlib level 6,
//   as a server or CDN would send it; Keel itself serves them uncompressed on loopback);
// - first load on localhost: a fresh Chromium profile (empty cache, signed-in cookie) opens `/` of a
//   `keel serve` on PGlite holding 40 workflows and 400 runs, and the clock stops when the overview's
//   rows are on screen (data fetched and rendered), not at the load event. Cold loads (new profile
//   each time) and warm reloads (same profile: assets from cache, data fetched again).
//   npx tsx bench/dashboard.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startKeel } from '../src/app.js';
import { createUser, setPassword } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import { startRun } from '../src/engine/index.js';
import { repoDir, tempFolder } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { summarize } from './lib/stats.js';

const aims = { bundleKb: 400, firstLoadMs: 1000 };
const workflowCount = 40;
const runCount = 400;
const loads = Number(process.env.BENCH_DASHBOARD_LOADS ?? 15);
const chromiumPath = process.env.KEEL_CHROMIUM ?? '/usr/bin/chromium';

function buildBundle(): { files: { name: string; raw: number; gzip: number }[]; buildMs: number } {
  const t0 = Date.now();
  execFileSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: repoDir, stdio: 'ignore' });
  const buildMs = Date.now() - t0;
  const dist = join(repoDir, 'web', 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  // What the page loads: index.html and the assets it names (Vite inlines the rest or splits lazily).
  const named = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
  const all = readdirSync(join(dist, 'assets'));
  const files = [{ name: 'index.html', data: Buffer.from(html) }, ...all.map((f) => ({ name: `assets/${f}${named.includes(f) ? '' : ' (not loaded at start)'}`, data: readFileSync(join(dist, 'assets', f)) }))];
  return { files: files.map((f) => ({ name: f.name, raw: f.data.length, gzip: gzipSync(f.data).length })), buildMs };
}

function workflowFile(i: number): string {
  return `id: bench-flow-${i}
title: Bench flow ${i}
owner: owner-${i % 7}@example.com
team: team-${i % 4}
risk: ${['low', 'medium', 'high'][i % 3]}
triggers: [{ manual: {} }]
input: { type: object }
steps:
  - id: shape
    kind: transform
    expression: '{ "n": input.n }'
metric: { name: minutes saved, unit: minutes, baseline: 10, target: 2 }
`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const bundle = buildBundle();
  const loaded = bundle.files.filter((f) => !f.name.includes('not loaded'));
  const gzipKb = loaded.reduce((s, f) => s + f.gzip, 0) / 1024;
  const rawKb = loaded.reduce((s, f) => s + f.raw, 0) / 1024;

  const dir = tempFolder('dashboard');
  mkdirSync(join(dir, 'workflows'), { recursive: true });
  mkdirSync(join(dir, 'prompts'), { recursive: true });
  for (let i = 1; i <= workflowCount; i++) writeFileSync(join(dir, 'workflows', `bench-flow-${i}.yaml`), workflowFile(i));
  const config = loadConfig({
    env: {}, file: join(dir, 'keel.yaml'),
    flags: {
      server: { port: 0, host: '127.0.0.1' }, database: { dataDir: join(dir, 'data') },
      workflowsDir: join(dir, 'workflows'), connectorsDir: join(dir, 'connectors'), promptsDir: join(dir, 'prompts'), logLevel: 'silent',
      // The pages are measured with the workflows in production, loaded straight there (gates off).
      gates: { enforce: false },
    },
  });
  const keel = await startKeel(config, { http: true, workers: true, scheduler: false, loadWorkflows: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    for (let i = 0; i < runCount; i++) {
      await startRun(keel.db, { workflowId: `bench-flow-${1 + (i % workflowCount)}`, stage: 'production', trigger: 'manual', input: { n: i } });
    }
    const user = await createUser(keel.db, { email: 'bench@example.com', roles: ['admin'] }, 'bench', { minPasswordLength: 12 });
    const password = 'seventeen quiet lanterns drift';
    await setPassword(keel.db, user.id, password, 'bench', { minPasswordLength: 12 });
    const signIn = await fetch(`${keel.url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password }) });
    const cookie = /keel_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);
    // Let the workers finish the runs, so the loads measure the page and not a busy server.
    for (let t = 0; t < 120; t++) {
      const { rows } = await keel.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE status IN ('queued', 'running')`);
      if (rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const background = await waitForQuiet();

    const shown = async (page: import('playwright-core').Page) => {
      await page.getByRole('link', { name: `Bench flow ${workflowCount}`, exact: true }).waitFor({ timeout: 10_000 });
    };
    const cold: number[] = [];
    const warm: number[] = [];
    const dcl: number[] = [];
    for (let i = 0; i < loads + 1; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies([{ name: 'keel_session', value: cookie, url: keel.url! }]);
      const page = await context.newPage();
      let t0 = performance.now();
      await page.goto(`${keel.url}/`);
      await shown(page);
      const coldMs = performance.now() - t0;
      // Runs in the page; typed loosely because the server's tsconfig has no DOM library.
      const navigation = await page.evaluate('performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd') as number;
      t0 = performance.now();
      await page.reload();
      await shown(page);
      const warmMs = performance.now() - t0;
      await context.close();
      if (i === 0) continue; // the first launch of a profile warms Chromium itself
      cold.push(coldMs);
      warm.push(warmMs);
      dcl.push(navigation);
    }
    const c = summarize(cold);
    const w = summarize(warm);
    const d = summarize(dcl);
    const figures: Figure[] = [
      { target: 'production bundle < 400 KB gzipped', database: 'n/a', metric: 'bundle loaded at start, gzipped', value: `${gzipKb.toFixed(1)} KB`, aim: `< ${aims.bundleKb} KB`, met: gzipKb < aims.bundleKb, setting: `${rawKb.toFixed(0)} KB uncompressed` },
      { target: 'first load on localhost < 1 s', database: 'pglite', metric: 'cold first load to overview rows shown, p50', value: `${c.p50.toFixed(0)} ms`, aim: `< ${aims.firstLoadMs} ms`, met: c.p50 < aims.firstLoadMs, setting: `${loads} fresh profiles, ${workflowCount} workflows` },
      { target: 'first load on localhost < 1 s', database: 'pglite', metric: 'cold first load to overview rows shown, max', value: `${c.max.toFixed(0)} ms`, aim: `< ${aims.firstLoadMs} ms`, met: c.max < aims.firstLoadMs, setting: `${loads} fresh profiles` },
      { target: 'first load on localhost < 1 s', database: 'pglite', metric: 'warm reload to overview rows shown, p50', value: `${w.p50.toFixed(0)} ms`, aim: '', met: null },
    ];
    saveResult({
      name: 'dashboard', title: 'Dashboard: bundle weight and first load', finishedAt: new Date().toISOString(), durationMs: Date.now() - started, figures,
      backgroundBusyPct: background,
      details: [
        `Vite production build in ${bundle.buildMs} ms. Files:`, '',
        table(['file', 'bytes', 'gzipped'], bundle.files.map((f) => [f.name, String(f.raw), String(f.gzip)])), '',
        `Cold loads (ms): p50 ${c.p50.toFixed(0)}, p95 ${c.p95.toFixed(0)}, max ${c.max.toFixed(0)}; DOMContentLoaded p50 ${d.p50.toFixed(0)} ms (the rest is /api/auth/me then /api/overview and the render).`,
        `Warm reloads (ms): p50 ${w.p50.toFixed(0)}, max ${w.max.toFixed(0)}.`,
        `Server: keel serve on PGlite with ${workflowCount} workflows and ${runCount} finished runs; Chromium ${execFileSync(chromiumPath, ['--version'], { encoding: 'utf8' }).trim()} headless, 1280x800.`,
      ].join('\n'),
    });
  } finally {
    await browser.close();
    await keel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
