// Embedded footprint: `keel serve` (built: node dist/cli/main.js serve) on an empty data folder,
// then restarted on the same folder; time from spawn to the first 200 on /healthz, and the resident
// memory (VmRSS) after 5 s idle following a restart.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { benchDir, repoDir, tempFolder } from './lib/databases.js';
import { wrapChild, type Child } from './lib/children.js';
import { cpuWindow } from './lib/cpu.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, sleep } from './lib/stats.js';
import { chainWorkflow } from './lib/workflows.js';

const laterStarts = Number(process.env.BENCH_RESTARTS ?? 3);
const firstStarts = Number(process.env.BENCH_FIRST_STARTS ?? 2);
const idleMs = 5_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function build(): string {
  const r = spawnSync('npm', ['run', 'build'], { cwd: repoDir, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) {
    if (!existsSync(join(repoDir, 'dist', 'app.js'))) throw new Error(`npm run build failed and there is no dist/: ${r.stderr.slice(-2000)}`);
    return `npm run build failed (${r.status}); measured the dist/ already there`;
  }
  return 'built with npm run build';
}

interface Start { child: Child; healthyMs: number; readyLogMs?: number; migrated: boolean; output: string[] }

async function start(folder: string, port: number): Promise<Start> {
  const cli = join(repoDir, 'dist', 'cli', 'main.js');
  const args = existsSync(cli) ? [cli, 'serve'] : [join(benchDir, 'children', 'serve-dist.mjs')];
  const output: string[] = [];
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, {
    cwd: folder,
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, KEEL_DATA_DIR: join(folder, 'data'), KEEL_PORT: String(port), KEEL_HOST: '127.0.0.1',
      KEEL_WORKFLOWS_DIR: join(folder, 'workflows'), KEEL_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const child = wrapChild(proc);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`keel serve exited (${proc.exitCode}): ${output.join('').slice(-2000)}`);
    if (performance.now() - t0 > 60_000) throw new Error(`keel serve not healthy after 60 s: ${output.join('').slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  const healthyMs = performance.now() - t0;
  await sleep(100);
  const text = output.join('');
  const ready = text.split('\n').find((l) => l.includes('"msg":"keel is ready"'));
  const readyLogMs = ready ? Number(/"ms":(\d+)/.exec(ready)?.[1]) : undefined;
  return { child, healthyMs, readyLogMs, migrated: /database migrated/.test(text), output };
}

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function nodeBaselineMs(): number {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}

const began = Date.now();
const buildNote = build();
const background = await waitForQuiet();
await fetch('http://127.0.0.1:1/').catch(() => undefined); // load fetch before timing
const command = existsSync(join(repoDir, 'dist', 'cli', 'main.js')) ? 'node dist/cli/main.js serve' : 'node bench/children/serve-dist.mjs (startKeel from dist/)';
const first: Start[] = [];
const later: Start[] = [];
let idle = { rssMb: 0, hwmMb: 0 };
let firstIdle = { rssMb: 0, hwmMb: 0 };
const folders: string[] = [];
const window = cpuWindow({});
const phases: Array<Record<string, number>> = [];
let probeMemory: Record<string, number> | undefined;
try {
  for (let i = 0; i < firstStarts; i++) {
    const folder = tempFolder('footprint');
    folders.push(folder);
    mkdirSync(join(folder, 'workflows'));
    writeFileSync(join(folder, 'workflows', 'chain.yaml'), chainWorkflow('chain', 3));
    const port = await freePort();
    const s = await start(folder, port);
    first.push(s);
    if (i === firstStarts - 1) {
      await sleep(idleMs);
      firstIdle = memory(s.child.pid);
      for (let j = 0; j < laterStarts; j++) {
        await s.child.stop(10_000).catch(() => undefined);
        const prev = later[later.length - 1];
        await prev?.child.stop(10_000);
        const again = await start(folder, await freePort());
        later.push(again);
      }
      const last = later[later.length - 1]!;
      await sleep(idleMs);
      idle = memory(last.child.pid);
      await last.child.stop(10_000);
    } else {
      await s.child.stop(10_000);
    }
  }
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(process.execPath, [join(benchDir, 'children', 'startup-phases.mjs'), join(folders[folders.length - 1]!, 'data')], { cwd: repoDir, encoding: 'utf8', timeout: 60_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (line.startsWith('{')) {
      const { memory: m, ...times } = JSON.parse(line) as Record<string, number> & { memory: Record<string, number> };
      phases.push(times);
      probeMemory = m;
    }
  }
} finally {
  for (const s of [...first, ...later]) await s.child.stop(2_000);
  for (const f of folders) rmSync(f, { recursive: true, force: true });
}

const { otherPct: other } = await window.end();
const baseline = nodeBaselineMs();
const target = 'Embedded footprint';
const worstFirst = Math.max(...first.map((s) => s.healthyMs));
const worstLater = Math.max(...later.map((s) => s.healthyMs));
const figures: Figure[] = [
  { target, database: 'pglite', metric: 'first start (empty data folder) to healthy', value: first.map((s) => ms(s.healthyMs)).join(', '), aim: '<= 5 s', met: worstFirst <= 5_000, setting: command },
  { target, database: 'pglite', metric: 'later starts to healthy', value: later.map((s) => ms(s.healthyMs)).join(', '), aim: '<= 1 s', met: worstLater <= 1_000, setting: command },
  { target, database: 'pglite', metric: `idle RSS ${idleMs / 1000} s after a restart`, value: `${Math.round(idle.rssMb)} MB (peak ${Math.round(idle.hwmMb)} MB)`, aim: '<= 250 MB', met: idle.rssMb <= 250, setting: command },
];
const details = [
  `Command: \`${command}\` (${buildNote}); one workflow file loaded at start; \`node -e 0\` alone takes ${ms(baseline)} here.`,
  '',
  table(['start', 'spawn -> /healthz 200', 'startKeel (its "keel is ready" log)', 'migrations applied'], [
    ...first.map((s, i) => [`first #${i + 1} (empty folder)`, ms(s.healthyMs), s.readyLogMs === undefined ? 'n/a' : ms(s.readyLogMs), s.migrated ? 'yes' : 'no']),
    ...later.map((s, i) => [`restart #${i + 1}`, ms(s.healthyMs), s.readyLogMs === undefined ? 'n/a' : ms(s.readyLogMs), s.migrated ? 'yes' : 'no']),
  ]),
  '',
  phases.length
    ? `Where a restart goes (a separate probe on the same migrated folder, ${phases.length} tries): ${Object.keys(phases[0]!).map((k) => `${k} ${phases.map((p) => ms(p[k]!)).join(' / ')}`).join('; ')}.`
    : 'The start-up phase probe did not run.',
  '',
  `Idle memory: after the first start ${Math.round(firstIdle.rssMb)} MB RSS (peak ${Math.round(firstIdle.hwmMb)} MB); after a restart ${Math.round(idle.rssMb)} MB RSS (peak ${Math.round(idle.hwmMb)} MB).`,
  probeMemory
    ? `The probe (PGlite open + the app imported, no HTTP server) holds ${probeMemory.rssMb} MB RSS: V8 heap ${probeMemory.v8HeapUsedMb} MB used of ${probeMemory.v8HeapTotalMb} MB, ArrayBuffers (PGlite's WebAssembly memory among them) ${probeMemory.arrayBuffersMb} MB, external ${probeMemory.externalMb} MB.`
    : '',
].join('\n');
saveResult({ name: 'footprint', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: other });
