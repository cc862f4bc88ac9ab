// Reads a dataset file (CSV or JSON Lines) into cases, naming the line of every bad row. Nothing is
// stored from a file with a bad row: a dataset silently missing some rows scores a version on
// something else than what its author thinks.
//
// CSV: a header row, then one case per row. Columns: `input` (a JSON object) or `input.<field>`
// (one text field each), `expected` (JSON when the cell is valid JSON, else the text itself) or
// `expected.<field>`, and optionally `tags` (separated by `,` or `|`) and `source` (default import).
// JSON Lines: one object per line with `input` (an object), `expected` (any JSON), and optionally
// `tags` (a list, or a string as in CSV) and `source`.
import { KeelError, type FieldProblem } from '../errors.js';
import { maxListedProblems, parseCsv, type CsvRecord, type LabelledFormat } from '../models/index.js';
import { tagsProblem } from './cases.js';

export type DatasetFileFormat = LabelledFormat;

export interface ImportedRow {
  line: number;
  input: Record<string, unknown>;
  expected: unknown;
  tags: string[];
  source: string;
}

export interface RowProblem {
  line: number;
  message: string;
}

export interface ReadOptions {
  /** Tags added to every row (e.g. `--tags` of the CLI). */
  tags?: readonly string[];
  /** Called as rows are checked (every 250 rows and at the end): drives a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

/** More rows than this are refused: split the file (a request body is limited too). */
export const maxImportRows = 100_000;
const sourcePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const progressEvery = 250;

/** Checks every row of a dataset file; answers the good rows and the problems, in line order. */
export function parseDatasetFile(text: string, format: DatasetFileFormat, options: ReadOptions = {}): { rows: ImportedRow[]; problems: RowProblem[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const result = format === 'csv' ? fromCsv(body, options) : fromJsonLines(body, options);
  result.problems.sort((a, b) => a.line - b.line);
  return result;
}

/** The rows of a dataset file, or KeelError('invalid_input') listing every bad line (the first 50). */
export function readDatasetFile(text: string, format: DatasetFileFormat, sourceName: string, options: ReadOptions = {}): ImportedRow[] {
  const { rows, problems } = parseDatasetFile(text, format, options);
  if (problems.length > 0) throw badRowsError(sourceName, problems);
  if (rows.length === 0) throw new KeelError('invalid_input', `${sourceName}: the file has no cases`, { hint: 'Add one case per row (CSV, below the header) or per line (JSON Lines).' });
  if (rows.length > maxImportRows) {
    throw new KeelError('invalid_input', `${sourceName}: ${rows.length} cases is more than one import takes (${maxImportRows})`, { hint: 'Split the file and import the parts.' });
  }
  return rows;
}

function badRowsError(sourceName: string, found: RowProblem[]): KeelError {
  const listed = found.slice(0, maxListedProblems);
  const problems: FieldProblem[] = listed.map((p) => ({ path: `line ${p.line}`, message: p.message }));
  const more = found.length - listed.length;
  const rows = found.length === 1 ? '1 bad row' : `${found.length} bad rows`;
  return new KeelError('invalid_input', `${sourceName}: ${rows}; nothing was imported${more > 0 ? ` (the first ${listed.length} are listed, ${more} more not shown)` : ''}`, {
    problems, hint: 'Fix the listed lines and import the file again.', details: { badRows: found.length, listed: listed.length },
  });
}

/** What each CSV column means; `field` is the name after `input.` or `expected.`. */
type Column = { role: 'input' | 'expected' | 'tags' | 'source'; field?: string };

function fromCsv(text: string, options: ReadOptions): { rows: ImportedRow[]; problems: RowProblem[] } {
  const { records, problems } = parseCsv(text);
  const header = records[0];
  if (!header) {
    if (problems.length === 0) problems.push({ line: 1, message: 'the file is empty (a header row naming the columns is required, e.g. input.text,expected.label)' });
    return { rows: [], problems };
  }
  const columns = readHeader(header, problems);
  if (!columns) return { rows: [], problems };
  const rows: ImportedRow[] = [];
  const total = records.length - 1;
  records.slice(1).forEach((record, index) => {
    if (record.fields.length !== header.fields.length) {
      problems.push({ line: record.line, message: `has ${record.fields.length} fields; the header has ${header.fields.length} (a comma in a value needs quotes)` });
    } else {
      const row = csvRow(record, columns, options.tags ?? []);
      if (typeof row === 'string') problems.push({ line: record.line, message: row });
      else rows.push(row);
    }
    report(options, index + 1, total);
  });
  return { rows, problems };
}

/** The meaning of each header column (undefined for one to skip), or undefined when no row can be read. */
function readHeader(header: CsvRecord, problems: RowProblem[]): (Column | undefined)[] | undefined {
  const seen = new Set<string>();
  const wrong = (message: string) => problems.push({ line: header.line, message });
  const columns = header.fields.map((raw, at): Column | undefined => {
    const name = raw.trim();
    if (seen.has(name)) return void wrong(`the header names column "${name}" twice`);
    seen.add(name);
    if (name === '') return void wrong(`column ${at + 1} of the header has no name`);
    if (name === 'input' || name === 'expected' || name === 'tags' || name === 'source') return { role: name };
    const dotted = /^(input|expected)\.(.+)$/.exec(name);
    if (dotted) return { role: dotted[1] as 'input' | 'expected', field: dotted[2]! };
    return void wrong(`unknown column "${name}" (columns: input or input.<field>, expected or expected.<field>, tags, source)`);
  });
  const has = (role: string, dotted: boolean) => columns.some((c) => c?.role === role && (c.field !== undefined) === dotted);
  let readable = true;
  for (const role of ['input', 'expected'] as const) {
    if (has(role, false) && has(role, true)) {
      wrong(`the header has both "${role}" and "${role}.<field>" columns; use one or the other`);
      readable = false;
    } else if (!has(role, false) && !has(role, true)) {
      wrong(`the header has no ${role} column ("${role}" or "${role}.<field>")`);
      readable = false;
    }
  }
  return readable ? columns : undefined;
}

function csvRow(record: CsvRecord, columns: readonly (Column | undefined)[], extraTags: readonly string[]): ImportedRow | string {
  const input: Record<string, unknown> = {};
  const expectedFields: Record<string, unknown> = {};
  let inputText: string | undefined;
  let expectedText: string | undefined;
  let tags: string[] = [];
  let source = '';
  columns.forEach((column, at) => {
    const cell = record.fields[at]!;
    if (!column) return;
    if (column.role === 'tags') tags = splitTags(cell);
    else if (column.role === 'source') source = cell.trim();
    else if (column.field !== undefined) {
      // An empty cell leaves the field out, so rows of a wide file need not fill every column.
      if (cell !== '') (column.role === 'input' ? input : expectedFields)[column.field] = cell;
    } else if (column.role === 'input') inputText = cell;
    else expectedText = cell;
  });
  const problems: string[] = [];
  let caseInput: Record<string, unknown> | undefined = input;
  if (inputText !== undefined) caseInput = jsonObject(inputText, problems);
  if (caseInput && Object.keys(caseInput).length === 0) problems.push('the input is empty');
  let expected: unknown = expectedFields;
  if (expectedText !== undefined) {
    if (expectedText.trim() === '') problems.push('the expected output is empty');
    else expected = jsonOrText(expectedText);
  } else if (Object.keys(expectedFields).length === 0) problems.push('the expected output is empty');
  return finish(record.line, caseInput, expected, tags, source, extraTags, problems);
}

function fromJsonLines(text: string, options: ReadOptions): { rows: ImportedRow[]; problems: RowProblem[] } {
  const rows: ImportedRow[] = [];
  const problems: RowProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    report(options, index + 1, lines.length);
    if (raw.trim() === '') return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return void problems.push({ line, message: `is not valid JSON (${(error as Error).message})` });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push({ line, message: 'is not a JSON object' });
    const record = value as Record<string, unknown>;
    const wrong: string[] = Object.keys(record).filter((k) => !['input', 'expected', 'tags', 'source'].includes(k)).map((k) => `unknown field "${k}"`);
    let input: Record<string, unknown> | undefined;
    if (!Object.hasOwn(record, 'input')) wrong.push('has no "input"');
    else if (!isObject(record.input)) wrong.push('the input is not a JSON object');
    else if (Object.keys(record.input).length === 0) wrong.push('the input is empty');
    else input = record.input;
    if (!Object.hasOwn(record, 'expected')) wrong.push('has no "expected"');
    let tags: string[] = [];
    if (typeof record.tags === 'string') tags = splitTags(record.tags);
    else if (Array.isArray(record.tags) && record.tags.every((t) => typeof t === 'string')) tags = record.tags as string[];
    else if (record.tags !== undefined) wrong.push('the tags are neither a list of strings nor a string');
    if (record.source !== undefined && typeof record.source !== 'string') wrong.push('the source is not a string');
    const row = finish(line, input, record.expected, tags, typeof record.source === 'string' ? record.source : '', options.tags ?? [], wrong);
    if (typeof row === 'string') problems.push({ line, message: row });
    else rows.push(row);
  });
  return { rows, problems };
}

/** The checks every row gets whatever its format; a string says what is wrong. */
function finish(
  line: number, input: Record<string, unknown> | undefined, expected: unknown, tags: string[], source: string,
  extraTags: readonly string[], problems: string[],
): ImportedRow | string {
  const all = [...new Set([...tags.map((t) => t.trim()).filter((t) => t !== ''), ...extraTags])];
  const tagProblem = tagsProblem(all);
  if (tagProblem) problems.push(tagProblem.message);
  const from = source === '' ? 'import' : source;
  if (!sourcePattern.test(from)) problems.push(`source "${source}" is not a source name (a letter, then letters, digits, _ . -; at most 32)`);
  if (problems.length > 0 || !input) return problems.join('; ');
  return { line, input, expected, tags: all, source: from };
}

function report(options: ReadOptions, done: number, total: number): void {
  if (options.onProgress && (done % progressEvery === 0 || done === total)) options.onProgress(done, total);
}

function splitTags(cell: string): string[] {
  return cell.split(/[,|]/).map((t) => t.trim()).filter((t) => t !== '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonObject(text: string, problems: string[]): Record<string, unknown> | undefined {
  if (text.trim() === '') return void problems.push('the input is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return void problems.push(`the input is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) return void problems.push('the input is not a JSON object');
  return value;
}

/** A cell that is valid JSON is that value; anything else is the text itself (labels need no quotes). */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
