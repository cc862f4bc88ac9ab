// Loading the library folder at start: every prompt and document file is deployed and the caller's
// label (production) moved to it. A file with any problem is reported and skipped whole; the other
// files still load. A missing folder is an empty library, not an error.
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Db } from '../db/index.js';
import { coerceError, type FieldProblem } from '../errors.js';
import type { Logger } from '../logging.js';
import { libraryFileExtensions, validateLibraryText, type LibraryParseOptions } from './load.js';
import { deployLibraryEntry } from './store.js';

export interface LoadLibraryOptions {
  /** The label deployed versions get (startup passes `production`). */
  label: string;
  actor: string;
  logger: Pick<Logger, 'info' | 'warn'>;
  models?: LibraryParseOptions['models'];
}

export interface LibraryLoadReport {
  deployed: Array<{ file: string; name: string; number: number; versionCreated: boolean; labelChanged: boolean }>;
  skipped: Array<{ file: string; problems: FieldProblem[] }>;
}

/** Deploys every `.yaml`, `.yml` and `.md` file under `dir` (README.md files are documentation, not entries). */
export async function loadLibraryFolder(db: Db, dir: string, opts: LoadLibraryOptions): Promise<LibraryLoadReport> {
  const report: LibraryLoadReport = { deployed: [], skipped: [] };
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      opts.logger.info({ dir }, 'no instruction library folder; the library starts empty');
      return report;
    }
    throw error;
  }
  const files = names
    .filter((n) => libraryFileExtensions.some((ext) => n.toLowerCase().endsWith(ext)) && !/(^|[\\/])readme\.md$/i.test(n))
    .map((n) => join(dir, n))
    .sort();

  // Parse everything first: two files claiming one name would otherwise take turns at the label on
  // every start, so neither is deployed and both are reported.
  const parsed: Array<{ file: string; text: string; name: string; kind: string }> = [];
  for (const file of files) {
    const shown = file.split(sep).join('/');
    const text = await readFile(file, 'utf8');
    const result = validateLibraryText(text, shown, { models: opts.models });
    if (result.ok) parsed.push({ file: shown, text, name: result.entry.name, kind: result.entry.kind });
    else report.skipped.push({ file: shown, problems: result.problems });
  }
  const count = new Map<string, number>();
  for (const p of parsed) count.set(p.name, (count.get(p.name) ?? 0) + 1);
  const usable = parsed.filter((p) => {
    if ((count.get(p.name) ?? 0) === 1) return true;
    const others = parsed.filter((o) => o.name === p.name && o !== p).map((o) => o.file);
    report.skipped.push({ file: p.file, problems: [{ path: `${p.file}:1:1 name`, message: `${p.name} is also the name in ${others.join(', ')}`, hint: 'give each library file its own name' }] });
    return false;
  });

  // Documents first, so that a prompt's references resolve as soon as the prompt does.
  usable.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'document' ? -1 : 1));
  for (const p of usable) {
    try {
      const r = await deployLibraryEntry(db, { source: p.text, sourceName: p.file, label: opts.label, actor: opts.actor, models: opts.models });
      report.deployed.push({ file: p.file, name: p.name, number: r.version.number, versionCreated: r.versionCreated, labelChanged: r.labelChanged });
      if (r.versionCreated || r.labelChanged) {
        opts.logger.info({ file: p.file, name: p.name, version: r.version.number, label: opts.label }, r.versionCreated ? 'library entry versioned' : 'library label moved');
      }
    } catch (error) {
      const e = coerceError(error);
      report.skipped.push({ file: p.file, problems: e.problems.length > 0 ? e.problems : [{ path: p.file, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }] });
    }
  }
  for (const s of report.skipped) opts.logger.warn({ file: s.file, problems: s.problems }, 'library file skipped: it has problems');
  return report;
}
