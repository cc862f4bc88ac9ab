// How the CLI talks to a person: lines on stdout and stderr, aligned tables, values folded to one
// line (never silently cut), and problems in the `path: message (hint)` form `keel validate` uses.
import type { Problem } from './api-types.js';

/** Where the CLI writes. Tests pass their own to capture output; `main` defaults to the process streams. */
export interface Io {
  /** Writes one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line (a newline is added) to standard error. */
  err(line: string): void;
  /** Resolves when a long-running command (serve, worker) should stop: SIGINT or SIGTERM by default. */
  waitForStop?(): Promise<void>;
  /** Everything on standard input, read to its end (`--password-stdin`). */
  readStdin?(): Promise<string>;
}

export const processIo: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  waitForStop: () =>
    new Promise<void>((resolve) => {
      // One signal stops gracefully; once both listeners are gone a second Ctrl-C kills at once.
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
  async readStdin() {
    // A terminal would echo a typed password and wait for Ctrl-D: ask for a pipe instead.
    if (process.stdin.isTTY) throw new Error('standard input is a terminal; pipe the password in (printf \'%s\' "$PASSWORD" | keel ...)');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** One problem as the API and the workflow validator report it. */
export interface ProblemLine {
  path: string;
  message: string;
  hint?: string;
}

/** `file:line:col path: message (hint)`: one problem on one line. */
export function problemLine(p: ProblemLine): string {
  return `${p.path}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
}

/**
 * An API problem: `error: <detail>`, each field problem indented, then the hint, on stderr. With
 * `--json` the problem document itself goes to stdout, so scripts read one document either way.
 */
export function printProblem(io: Io, json: boolean, problem: Problem): void {
  if (json) return printJson(io, problem);
  io.err(`error: ${problem.detail}`);
  for (const p of problem.problems ?? []) io.err(`  ${problemLine(p)}`);
  if (problem.hint) io.err(`hint: ${problem.hint}`);
}

/** Prints a document for `--json`: exactly one JSON document on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Prints the API's document for `--json` and answers exit code 0. */
export function jsonAnswer(io: Io, value: unknown): 0 {
  printJson(io, value);
  return 0;
}

/**
 * A value as one line of at most `max` characters; anything longer says how much more there is,
 * so nothing is cut without a word.
 */
export function fold(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? 'undefined';
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max).join('')}… (${chars.length - max} more chars, use --json)`;
}

/** Left-aligned columns separated by two spaces; trailing blanks trimmed. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** An ISO timestamp as `2025-01-31 09:30:12Z`; empty for none. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Milliseconds between two ISO timestamps, as `12 ms` or `3.4 s`; empty when unfinished. */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms)) return '';
  return ms < 10_000 ? `${Math.max(0, ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One readable line per change (multi-line text as its changed lines): workflow, library and review diffs alike. */
export function diffLines(changes: readonly { path: string; change: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown; lines?: string[] }[]): string[] {
  return changes.flatMap((c) => {
    const path = c.path || '(whole output)';
    if (c.change === 'added') return [`+ ${path}: ${fold(c.after, 100)}`];
    if (c.change === 'removed') return [`- ${path}: ${fold(c.before, 100)}`];
    if (c.lines) return [`~ ${path}:`, ...c.lines.map((line) => `    ${line}`)];
    return [`~ ${path}: ${fold(c.before, 100)} -> ${fold(c.after, 100)}`];
  });
}
