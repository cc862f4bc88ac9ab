// Every benchmark writes one JSON result under bench/results; run-all renders them into
// bench/RESULTS.md. A figure carries its aim and whether it met it, so the table says it plainly.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchDir } from './databases.js';

/** Kept in the repository, so RESULTS.md can be rendered again on any machine from the latest run of each benchmark. */
export const resultsDir = join(benchDir, 'results');

export interface Figure {
  /** The issue's target this figure answers. */
  target: string;
  database: 'postgres' | 'pglite' | 'n/a';
  metric: string;
  /** The measured figure, formatted with its unit. */
  value: string;
  /** The aim, formatted ('<= 3 ms'); empty for context figures. */
  aim: string;
  /** null for context figures without an aim. */
  met: boolean | null;
  /** The setting it was measured with (concurrency, processes, rate). */
  setting?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  finishedAt: string;
  durationMs: number;
  figures: Figure[];
  /** Markdown with the supporting numbers (breakdowns, sweeps, statement timings). */
  details: string;
  /** How busy the machine was with other work just before the benchmark started (% of all cores). */
  backgroundBusyPct?: number;
  /** CPU used by other work on the machine while the benchmark ran (% of one core; the machine has 2). */
  otherDuringPct?: number;
  /** Machine-readable figures other benchmarks may reuse (e.g. the best concurrency). */
  data?: Record<string, unknown>;
  /** The CPU and core count it ran on (sessions run on different machines; set by saveResult). */
  machine?: string;
}

/** This machine in one line: CPU model and clock, and core count. */
export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const mhz = /cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1];
    model = `${/model name\s*:\s*(.*)/.exec(info)?.[1] ?? model}${mhz ? ` @ ${Math.round(Number(mhz))} MHz` : ''}`;
  } catch {
    // Not Linux: the model Node reports is enough.
  }
  return `${model}, ${cpus().length} cores`;
}

export function saveResult(result: BenchResult): void {
  result.machine ??= machineLine();
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n## ${result.title}\n`);
  for (const f of result.figures) {
    const verdict = f.met === null ? '' : f.met ? '  [met]' : '  [MISSED]';
    console.log(`${f.database.padEnd(8)} ${f.metric}: ${f.value}${f.aim ? ` (aim ${f.aim})` : ''}${f.setting ? ` [${f.setting}]` : ''}${verdict}`);
  }
  console.log(`\n${result.details}`);
  if (result.backgroundBusyPct !== undefined) console.log(`\nbackground load before start: ${result.backgroundBusyPct}% of the machine`);
}

export function loadResults(): BenchResult[] {
  let files: string[];
  try {
    files = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as BenchResult);
}

/** A markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
