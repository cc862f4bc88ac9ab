// What the one governed path costs per action call: every side effect a workflow makes first finds
// its connector, parses the connector's config and the call's input, and checks (and counts) the
// workflow's live grant, one UPDATE ... RETURNING on `grants`. Measured on both databases, calls in
// sequence on a warm connection:
// - prepareAction alone (the governance, no call): the figure this benchmark is about;
// - a refused call (no grant): the check plus its audit event (hash-chained), what a misconfigured
//   workflow costs while it keeps trying;
// - a whole files write through invokeAction against the same write done directly, for scale.
// No aim is named by the issue: the figures are context for the engine's step transition budget.
//   npx tsx bench/governed-action.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createConnectorRuntime, decideGrant, invokeAction, prepareAction, requestGrant, saveConnector, secretKeyFromText, type ActionInvocation,
} from '../src/connectors/index.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { describeSummary, ms, summarize, type Summary } from './lib/stats.js';
import { deploy } from './lib/workflows.js';

const calls = Number(process.env.BENCH_ACTION_CALLS ?? 2_000);
const warmup = 200;

interface Measured { prepare: Summary; denied: Summary; invoke: Summary; direct: Summary }

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn(-i - 1);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

async function measure(kind: DatabaseKind): Promise<Measured> {
  const bench = await openBenchDatabase(kind);
  const root = mkdtempSync(join(tmpdir(), 'keel-bench-kits-'));
  try {
    const db = bench.db;
    const access = (id: string) => `id: ${id}\ntitle: ${id}\nkind: external\nowner: o@example.com\nrisk: low\n`;
    await saveConnector(db, { id: 'kits', kind: 'files', title: 'Kits', owner: 'it@example.com', config: { root } }, 'api', 'bench');
    await deploy(db, access('granted'));
    await deploy(db, access('refused'));
    const { grant } = await requestGrant(db, { workflowId: 'granted', connectorId: 'kits', scope: 'files:write', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    const runtime = createConnectorRuntime({ db, secretKey: secretKeyFromText(randomBytes(32).toString('hex'), 'bench'), allowHosts: [] });
    const call = (workflowId: string, i: number): ActionInvocation => ({
      workflowId, runId: `run_bench_${i}`, stepId: 'save', connectorId: 'kits', action: 'write',
      input: { path: `kit-${i % 50}.md`, content: `Welcome, person ${i}` }, idempotencyKey: `k${i}`, signal: AbortSignal.timeout(10_000), intercept: false,
    });
    const prepare = await timed(calls, (i) => prepareAction(runtime, call('granted', i)));
    const denied = await timed(calls, (i) => prepareAction(runtime, call('refused', i)).then(() => { throw new Error('expected a refusal'); }, (e: { code?: string }) => {
      if (e.code !== 'permission_denied') throw e;
    }));
    const invoke = await timed(calls, (i) => invokeAction(runtime, call('granted', i)));
    const direct = await timed(calls, (i) => writeFile(join(root, `kit-${i % 50}.md`), `Welcome, person ${i}`));
    return { prepare, denied, invoke, direct };
  } finally {
    rmSync(root, { recursive: true, force: true });
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  const busy = await waitForQuiet();
  const started = Date.now();
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const kind of selectedDatabases()) {
    const m = await measure(kind);
    figures.push({
      target: 'Governed action path', database: kind, metric: 'grant check and input check per call (prepareAction) p50 / p99',
      value: `${ms(m.prepare.p50)} / ${ms(m.prepare.p99)}`, aim: '', met: null, setting: `${calls} sequential calls, files connector`,
    }, {
      target: 'Governed action path', database: kind, metric: 'files write through the governed path vs direct, p50',
      value: `${ms(m.invoke.p50)} vs ${ms(m.direct.p50)}`, aim: '', met: null, setting: `${calls} sequential writes`,
    });
    rows.push(
      [kind, 'prepareAction (granted)', describeSummary(m.prepare)],
      [kind, 'prepareAction (refused, audited)', describeSummary(m.denied)],
      [kind, 'invokeAction files write', describeSummary(m.invoke)],
      [kind, 'fs.writeFile alone', describeSummary(m.direct)],
    );
  }
  saveResult({
    name: 'governed-action', title: 'Governed action path', finishedAt: new Date().toISOString(), durationMs: Date.now() - started,
    figures, backgroundBusyPct: busy, details: table(['database', 'what', 'latency'], rows),
  });
}

await main();
