// How long work shows its progress on the command line (training, imports): a bar redrawn in
// place on a terminal, and a line per quarter elsewhere, so logs and CI keep a few lines, not thousands.
import type { Io } from './output.js';

/** A progress bar on a terminal; a line per quarter elsewhere (logs, CI). */
export function progressPrinter(io: Io, tty: boolean) {
  const shown = new Map<string, number>();
  return (name: string, p: { phase: string; done: number; total: number }) => {
    const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r${name} ${p.phase.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%   `);
      if (fraction >= 1) process.stderr.write('\n');
      return;
    }
    const quarter = Math.floor(fraction * 4);
    const key = `${name}:${p.phase}`;
    if (shown.get(key) === quarter) return;
    shown.set(key, quarter);
    io.err(`${name}: ${p.phase} ${quarter * 25}%`);
  };
}
