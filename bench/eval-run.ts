// An eval run of 3,000 cases with the local classifier, end to end as `keel serve` does it: the
// cases are a dataset version (BANKING77 messages with their intent, CC BY 4.0, Casanueva et al.
// 2020), the eval runner starts them as sandbox runs of a one-classify-step workflow, the workers
// execute them (each run's steps stored, fenced, like any run), and the runner scores each with a
// label scorer. The classifier is trained first on the other BANKING77 rows (not the 3,000), so
// the accuracy printed beside the time is an honest held-out figure. Aim (issue 10): under a minute.
//   BENCH_EVAL_CASES=3000  BENCH_EVAL_CONCURRENCY=16  BENCH_DATABASES=postgres,pglite
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnectorRuntime, createEgressClient, secretKeyFromText } from '../src/connectors/index.js';
import { createEngine } from '../src/engine/index.js';
import { createEvalRunner, getEvalRun, importCases, startEvalRun } from '../src/evals/index.js';
import { createRandom, parseCsv } from '../src/models/classifier/index.js';
import { trainClassifierVersion } from '../src/models/index.js';
import { deployWorkflow } from '../src/registry/index.js';
import { openBenchDatabase, repoDir, selectedDatabases, tempFolder, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';

const cases = Number(process.env.BENCH_EVAL_CASES ?? 3_000);
const concurrency = Number(process.env.BENCH_EVAL_CONCURRENCY ?? 16);
const target = 'Eval run: 3,000 cases with the local classifier';
const source = [join(repoDir, 'workflows/data/banking77/train.csv'), '/work/shared/data/banking77/train.csv'].find((p) => existsSync(p))!;

const workflow = `id: intents
title: Bank message intents
owner: bench@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [text], properties: { text: { type: string } } }
steps:
  - id: classify
    kind: classify
    model: banking77
    text: input.text
evals:
  threshold: 0.85
  concurrency: ${concurrency}
  scorers:
    - name: intent
      label: { path: classify.label, expected_path: label }
`;

/** A seeded split of the shipped file: `cases` rows to evaluate, the rest (as a CSV file) to train on. */
function split(): { evalRows: { text: string; label: string }[]; trainFile: string } {
  const { records } = parseCsv(readFileSync(source, 'utf8'));
  // The first record is the header (text,category).
  const rows = records.slice(1).map((r) => ({ text: r.fields[0]!, label: r.fields[1]! }));
  const random = createRandom(7);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const trainFile = join(tempFolder('eval-train'), 'train.csv');
  writeFileSync(trainFile, ['text,category', ...rows.slice(cases).map((r) => `${quote(r.text)},${r.label}`)].join('\n'));
  return { evalRows: rows.slice(0, cases), trainFile };
}

interface Measured { seconds: number; casesPerSec: number; accuracy: number; passRate: number; p50: number | null }

async function measure(kind: DatabaseKind, evalRows: { text: string; label: string }[], trainFile: string): Promise<Measured> {
  const bench = await openBenchDatabase(kind, { poolSize: concurrency + 6 });
  const { db } = bench;
  const classifier = { provider: 'classifier' as const, dataset: trainFile, textColumn: 'text', labelColumn: 'category' };
  const errors: unknown[] = [];
  const onError = (message: string, error: unknown) => { errors.push({ message, error }); console.error(message, error); };
  const engine = createEngine({
    db, egress: createEgressClient({ allowHosts: [] }),
    workers: { concurrency, leaseMs: 30_000, heartbeatMs: 10_000, pollMs: 1_000, sweepMs: 5_000 },
    scheduler: { tickMs: 60_000 },
    models: { configs: { banking77: classifier }, providerKeys: {} },
    connectors: createConnectorRuntime({ db, secretKey: secretKeyFromText(randomBytes(32).toString('hex'), 'bench'), allowHosts: [] }),
    onError,
  });
  const runner = createEvalRunner({ db, onError });
  try {
    await trainClassifierVersion(db, { name: 'banking77', config: classifier, actor: 'bench' });
    await deployWorkflow(db, { source: workflow, sourceName: 'intents.yaml', stage: 'testing', actor: 'bench' });
    const jsonl = evalRows.map((r) => JSON.stringify({ input: { text: r.text }, expected: { label: r.label } })).join('\n');
    await importCases(db, { workflowId: 'intents', dataset: 'default', format: 'jsonl', content: jsonl, actor: 'bench' });
    await engine.startWorkers();
    await runner.start();
    const started = performance.now();
    const { id } = await startEvalRun(db, { workflowId: 'intents', actor: 'bench' });
    let run = await getEvalRun(db, id);
    while (run.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await getEvalRun(db, id);
    }
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 'finished' || !run.summary) throw new Error(`eval ended ${run.status}: ${JSON.stringify(run.error)}`);
    const label = run.summary.scorers[0]!.label!;
    console.log(`${kind}: ${run.total} cases in ${seconds.toFixed(1)} s, accuracy ${label.accuracy.toFixed(3)}`);
    return { seconds, casesPerSec: run.total / seconds, accuracy: label.accuracy, passRate: run.summary.passRate, p50: run.summary.latencyMs.p50 };
  } finally {
    await runner.stop();
    await engine.stop();
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  const busy = await waitForQuiet();
  const started = Date.now();
  const { evalRows, trainFile } = split();
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const kind of selectedDatabases()) {
    const m = await measure(kind, evalRows, trainFile);
    const setting = `${cases} cases, eval concurrency ${concurrency}, one process with ${concurrency} workers`;
    figures.push({ target, database: kind, metric: 'wall time from start to the last case scored', value: `${m.seconds.toFixed(1)} s`, aim: '< 60 s', met: m.seconds < 60, setting });
    rows.push([kind, `${m.seconds.toFixed(1)} s`, `${m.casesPerSec.toFixed(0)} cases/s`, m.p50 === null ? '-' : `${m.p50.toFixed(0)} ms`, m.accuracy.toFixed(3)]);
  }
  saveResult({
    name: 'eval-run', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - started, figures, backgroundBusyPct: busy,
    details: table(['database', 'wall time', 'rate', 'run latency p50 (queued to ended)', 'held-out accuracy'], rows),
  });
}

await main();
