// Permission check overhead per request. Two figures:
// - the check itself (what the target names): find the route's rule in the permission table and
//   decide it for a caller with global and per-workflow roles; no database. Timed per call over a
//   mix of every route in the table, for several kinds of caller.
// - the whole guard per request (context): the same, plus proving who is asking (token lookup, the
//   user and their memberships: three indexed queries), measured as a request through the real app
//   to GET /api/auth/me minus the same request to the public /healthz route.
import { Access, createRuleMatcher, createToken, createUser, loadAccess, routeRules, setWorkflowMember, type RouteRule } from '../src/auth/index.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { describeSummary, ms, summarize, type Summary } from './lib/stats.js';
import { deploy } from './lib/workflows.js';
import { configSchema } from '../src/config/index.js';
import { createHttpApp } from '../src/http/app.js';

const checks = Number(process.env.BENCH_CHECKS ?? 200_000);
const us = (msValue: number) => `${(msValue * 1000).toFixed(1)} µs`;
const requests = Number(process.env.BENCH_REQUESTS ?? 2_000);

/** A concrete path for each rule, so that matching does the work a real request makes it do. */
function samplePath(key: string): { method: string; path: string } {
  const [method = 'GET', pattern = '/'] = key.split(' ');
  return { method, path: pattern.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'workflow' || name === 'id' ? 'wf_17' : `${name}_x`)) };
}

function callers(): Array<[string, Access]> {
  const workflowRoles = new Map<string, ('owner' | 'reviewer')[]>();
  for (let i = 0; i < 50; i++) workflowRoles.set(`wf_${i}`, i % 2 ? ['reviewer'] : ['owner']);
  const base = { userId: 'usr_1', email: 'a@example.com', displayName: 'A', via: 'token' as const };
  return [
    ['viewer', new Access({ ...base, roles: ['viewer'], workflowRoles: new Map() })],
    ['member of 50 workflows', new Access({ ...base, roles: [], workflowRoles })],
    ['admin token with 3 scopes', new Access({ ...base, roles: ['admin'], workflowRoles: new Map(), scopes: ['workflows:read', 'runs:read', 'runs:start'] })],
  ];
}

/** The guard's decision without its database: the same branches as src/auth/guard.ts checkRule, with the owner of runs and reviews known. */
function decide(access: Access, rule: RouteRule, params: Record<string, string>): boolean {
  if (!('permission' in rule)) return true;
  if (rule.scope === 'global') return access.can(rule.permission);
  if (rule.scope === 'somewhere') return access.canSomewhere(rule.permission);
  const wf = params.workflow ?? params.id ?? 'wf_17';
  return access.can(rule.permission, wf) || access.can('workflows:read', wf);
}

function measureChecks(): { byCaller: Array<[string, Summary]>; all: Summary } {
  const match = createRuleMatcher(routeRules);
  const paths = Object.keys(routeRules).map(samplePath);
  const all: number[] = [];
  const byCaller: Array<[string, Summary]> = [];
  let sink = 0;
  for (const [name, access] of callers()) {
    // Warm the JIT first; its compile pauses are not the check's cost.
    for (let i = 0; i < 20_000; i++) {
      const p = paths[i % paths.length]!;
      const m = match(p.method, p.path);
      if (m && decide(access, m.rule, m.params)) sink++;
    }
    const samples: number[] = [];
    for (let i = 0; i < checks; i++) {
      const p = paths[i % paths.length]!;
      const t0 = process.hrtime.bigint();
      const m = match(p.method, p.path);
      if (m && decide(access, m.rule, m.params)) sink++;
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    for (const s of samples) all.push(s);
    byCaller.push([name, summarize(samples)]);
  }
  if (sink < 0) console.log(sink);
  return { byCaller, all: summarize(all) };
}

async function measureGuard(kind: DatabaseKind): Promise<{ me: Summary; health: Summary; overheadP50: number }> {
  const bench = await openBenchDatabase(kind);
  try {
    const db = bench.db;
    for (let i = 0; i < 20; i++) await deploy(db, `id: wf${i}\ntitle: W${i}\nkind: external\nowner: o@example.com\nrisk: low\n`);
    const user = await createUser(db, { email: 'bench@example.com', roles: ['viewer'] }, 'bench', { minPasswordLength: 12 });
    for (let i = 0; i < 5; i++) await setWorkflowMember(db, `wf${i}`, { kind: 'user', member: user.id, role: 'reviewer' }, true, 'bench');
    const access = await loadAccess(db, user.id, { via: 'session' });
    const { secret } = await createToken(db, access, { name: 'bench', scopes: access.heldPermissions() });
    const app = createHttpApp({
      db, bodyLimitBytes: 1 << 20, secrets: {}, version: 'bench', logError: () => {}, auth: configSchema.parse({}).auth, serverUrl: () => 'http://127.0.0.1',
    });
    const headers = { authorization: `Bearer ${secret}` };
    const time = async (path: string, h: Record<string, string>) => {
      const samples: number[] = [];
      for (let i = 0; i < requests + 200; i++) {
        const t0 = performance.now();
        const res = await app.request(path, { headers: h });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        if (i >= 200) samples.push(performance.now() - t0);
      }
      return summarize(samples);
    };
    const health = await time('/healthz', {});
    const me = await time('/api/auth/me', headers);
    return { me, health, overheadP50: me.p50 - health.p50 };
  } finally {
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  const busy = await waitForQuiet();
  const started = Date.now();
  const checked = measureChecks();
  const figures: Figure[] = [{
    target: 'Permission check overhead', database: 'n/a', metric: 'check p50 / p99 (rule lookup + decision)',
    value: `${us(checked.all.p50)} / ${us(checked.all.p99)}`, aim: '< 0.2 ms p99', met: checked.all.p99 < 0.2,
    setting: `${Object.keys(routeRules).length} rules, ${checks} checks x 3 callers`,
  }];
  const guardRows: string[][] = [];
  for (const kind of selectedDatabases()) {
    const g = await measureGuard(kind);
    figures.push({
      target: 'Permission check overhead', database: kind, metric: 'whole guard (token, user, memberships, check): p50 added over a public route; request p99',
      value: `+${ms(g.overheadP50)}; ${ms(g.me.p99)}`, aim: '', met: null, setting: `GET /api/auth/me with a token vs GET /healthz, ${requests} sequential requests`,
    });
    guardRows.push([kind, describeSummary(g.me), describeSummary(g.health)]);
  }
  saveResult({
    name: 'permission-check', title: 'Permission check overhead', finishedAt: new Date().toISOString(), durationMs: Date.now() - started,
    figures, backgroundBusyPct: busy,
    details: [
      table(['caller', 'check p50', 'p99', 'max'], checked.byCaller.map(([n, s]) => [n, us(s.p50), us(s.p99), us(s.max)])),
      '',
      table(['database', 'GET /api/auth/me (token)', 'GET /healthz (public)'], guardRows),
    ].join('\n'),
  });
}

await main();
