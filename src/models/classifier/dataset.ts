// Reads the labelled examples a classifier learns from, CSV or JSONL. All or nothing: a file with a
// bad row is refused with the line of every bad row (up to a cap), because a model silently trained
// on half a file looks fine until it is wrong in production.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { KeelError, type FieldProblem } from '../../errors.js';
import { parseCsv } from './csv.js';

export interface LabelledRow {
  text: string;
  label: string;
}

export type LabelledFormat = 'csv' | 'jsonl';

export interface ColumnOptions {
  textColumn: string;
  labelColumn: string;
}

/** More bad rows than this are counted but not listed: the first ones show what is wrong. */
export const maxListedProblems = 50;

interface RowProblem {
  line: number;
  message: string;
}

/** The format a file's extension names, or undefined. */
export function formatOf(path: string): LabelledFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

/**
 * Reads a labelled `.csv` (header row required) or `.jsonl` file (one JSON object per line).
 * Throws KeelError('invalid_input') naming the file and every bad line.
 */
export async function readLabelledFile(path: string, options: ColumnOptions): Promise<LabelledRow[]> {
  const format = formatOf(path);
  if (!format) {
    throw new KeelError('invalid_input', `${path}: not a labelled dataset (expected a .csv or .jsonl file)`, {
      hint: 'Save the examples as CSV with a header row, or as JSON Lines (one object per line).',
    });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new KeelError('invalid_input', `${path}: cannot read the dataset (${why})`, { cause: error, hint: 'Check the path; it is relative to the working folder.' });
  }
  let text: string;
  try {
    // Fatal: invalid bytes would otherwise become U+FFFD and quietly change the examples.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new KeelError('invalid_input', `${path}: the file is not UTF-8 text`, { cause: error, hint: 'Save it as UTF-8.' });
  }
  return parseLabelledText(text, format, options, path);
}

/** Parses labelled examples held in memory; `sourceName` names them in errors (a file name or "upload"). */
export function parseLabelledText(text: string, format: LabelledFormat, options: ColumnOptions, sourceName: string): LabelledRow[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const { rows, problems } = format === 'csv' ? fromCsv(body, options, sourceName) : fromJsonLines(body, options);
  if (problems.length > 0) throw badRows(sourceName, problems);
  if (rows.length === 0) {
    throw new KeelError('invalid_input', `${sourceName}: the dataset has no examples`, { hint: 'Add labelled rows below the header.' });
  }
  const labels = new Set(rows.map((r) => r.label));
  if (labels.size < 2) {
    throw new KeelError('invalid_input', `${sourceName}: every example has the label "${rows[0]!.label}"; a classifier needs at least two labels`, {
      hint: 'Add examples of the other labels it should tell apart.',
    });
  }
  return rows;
}

function badRows(sourceName: string, found: RowProblem[]): KeelError {
  const listed = found.slice(0, maxListedProblems);
  const problems: FieldProblem[] = listed.map((p) => ({ path: `line ${p.line}`, message: p.message }));
  const more = found.length - listed.length;
  const rows = found.length === 1 ? '1 bad row' : `${found.length} bad rows`;
  return new KeelError('invalid_input', `${sourceName}: ${rows}; nothing was read${more > 0 ? ` (the first ${listed.length} are listed, ${more} more not shown)` : ''}`, {
    problems,
    hint: 'Fix the listed lines and read the file again.',
    details: { badRows: found.length, listed: listed.length },
  });
}

function fromCsv(text: string, options: ColumnOptions, sourceName: string): { rows: LabelledRow[]; problems: RowProblem[] } {
  const { records, problems } = parseCsv(text);
  const header = records[0];
  if (!header) {
    if (problems.length > 0) return { rows: [], problems };
    throw new KeelError('invalid_input', `${sourceName}: the file is empty (a header row naming the columns is required)`, {
      hint: `Start the file with a header such as: ${options.textColumn},${options.labelColumn}`,
    });
  }
  const names = header.fields.map((f) => f.trim());
  const textAt = names.indexOf(options.textColumn);
  const labelAt = names.indexOf(options.labelColumn);
  const missing = [options.textColumn, options.labelColumn].filter((c, i) => (i === 0 ? textAt : labelAt) < 0);
  if (missing.length > 0) {
    throw new KeelError('invalid_input', `${sourceName}: the header has no column ${missing.map((m) => `"${m}"`).join(' or ')} (it has ${names.map((n) => `"${n}"`).join(', ')})`, {
      problems: [{ path: `line ${header.line}`, message: `missing column ${missing.map((m) => `"${m}"`).join(', ')}` }],
      hint: 'Name the columns in the model\'s settings (textColumn, labelColumn) or rename them in the header.',
    });
  }
  const twice = [options.textColumn, options.labelColumn].filter((c) => names.indexOf(c) !== names.lastIndexOf(c));
  if (twice.length > 0) {
    throw new KeelError('invalid_input', `${sourceName}: the header names ${twice.map((m) => `"${m}"`).join(' and ')} more than once`, {
      problems: [{ path: `line ${header.line}`, message: `column ${twice.map((m) => `"${m}"`).join(', ')} appears more than once` }],
      hint: 'Rename or remove the extra column so that it is clear which one to read.',
    });
  }
  const rows: LabelledRow[] = [];
  const all = [...problems];
  for (const record of records.slice(1)) {
    if (record.fields.length !== names.length) {
      all.push({ line: record.line, message: `has ${record.fields.length} fields; the header has ${names.length} (a comma in the text needs quotes)` });
      continue;
    }
    const row = checkRow(record.fields[textAt]!, record.fields[labelAt]!, options);
    if (typeof row === 'string') all.push({ line: record.line, message: row });
    else rows.push(row);
  }
  all.sort((a, b) => a.line - b.line);
  return { rows, problems: all };
}

function fromJsonLines(text: string, options: ColumnOptions): { rows: LabelledRow[]; problems: RowProblem[] } {
  const rows: LabelledRow[] = [];
  const problems: RowProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `is not valid JSON (${(error as Error).message})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ line, message: 'is not a JSON object' });
      return;
    }
    const record = value as Record<string, unknown>;
    const text = field(record, options.textColumn, 'text', false);
    const label = field(record, options.labelColumn, 'label', true);
    if (text.problem || label.problem) {
      problems.push({ line, message: [text.problem, label.problem].filter(Boolean).join('; ') });
      return;
    }
    const row = checkRow(text.value!, label.value!, options);
    if (typeof row === 'string') problems.push({ line, message: row });
    else rows.push(row);
  });
  return { rows, problems };
}

/** A string field of a JSON object; labels may also be numbers or booleans (0/1, true/false datasets). */
function field(record: Record<string, unknown>, name: string, role: string, scalarOk: boolean): { value?: string; problem?: string } {
  if (!Object.hasOwn(record, name)) return { problem: `has no "${name}" field (the ${role} column)` };
  const v = record[name];
  if (typeof v === 'string') return { value: v };
  if (scalarOk && ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean')) return { value: String(v) };
  const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
  return { problem: `the ${role} column "${name}" is ${kind}, not ${scalarOk ? 'a string or number' : 'a string'}` };
}

function checkRow(text: string, label: string, options: ColumnOptions): LabelledRow | string {
  const t = text.trim();
  const l = label.trim();
  if (t === '' && l === '') return `the text column "${options.textColumn}" and the label column "${options.labelColumn}" are empty`;
  if (t === '') return `the text column "${options.textColumn}" is empty`;
  if (l === '') return `the label column "${options.labelColumn}" is empty`;
  return { text: t, label: l };
}
