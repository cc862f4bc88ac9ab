import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeelError } from '../../errors.js';
import { parseCsv } from './csv.js';
import { maxListedProblems, parseLabelledText, readLabelledFile } from './dataset.js';

const columns = { textColumn: 'text', labelColumn: 'category' };

function refusal(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('invalid_input');
    return error as KeelError;
  }
  throw new Error('expected a refusal');
}

describe('parseCsv', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks, and numbers records by their first line', () => {
    const text = 'text,category\r\n"Hello, ""world""",greet\n"two\nlines",multi\nplain,x\n';
    const { records, problems } = parseCsv(text);
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['text', 'category'] },
      { line: 2, fields: ['Hello, "world"', 'greet'] },
      { line: 3, fields: ['two\nlines', 'multi'] },
      { line: 5, fields: ['plain', 'x'] },
    ]);
  });

  it('skips blank lines, keeps empty fields and reads the last record without a final line break', () => {
    expect(parseCsv('a,b\n\n,x\ny,').records).toEqual([
      { line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['', 'x'] }, { line: 4, fields: ['y', ''] },
    ]);
  });

  it('reports text after a closing quote and a quote that is never closed, on the lines they start', () => {
    const { records, problems } = parseCsv('a,b\n"x"y,1\nok,2\n"never closed,3\nmore\n');
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(problems).toEqual([
      { line: 2, message: expect.stringContaining('text follows a closing quote') },
      { line: 4, message: expect.stringContaining('never closed') },
    ]);
  });
});

describe('parseLabelledText', () => {
  it('reads CSV rows by column name, in any column order, trimming text and label', () => {
    const rows = parseLabelledText('id,category,text\n1, card_arrival ,"Where is my card, please?"\n2,top_up, Top up failed\n', 'csv', columns, 'data.csv');
    expect(rows).toEqual([
      { text: 'Where is my card, please?', label: 'card_arrival' },
      { text: 'Top up failed', label: 'top_up' },
    ]);
  });

  it('names every bad CSV row by line, with the file, and reads nothing', () => {
    const text = ['text,category', 'fine,a', 'no label,', ',b', 'fine too,b', 'too,many,fields', '"two', 'lines",', 'last,a'].join('\n');
    const error = refusal(() => parseLabelledText(text, 'csv', columns, 'data.csv'));
    expect(error.message).toMatch(/^data\.csv: 4 bad rows; nothing was read$/);
    expect(error.problems).toEqual([
      { path: 'line 3', message: 'the label column "category" is empty' },
      { path: 'line 4', message: 'the text column "text" is empty' },
      { path: 'line 6', message: 'has 3 fields; the header has 2 (a comma in the text needs quotes)' },
      { path: 'line 7', message: 'the label column "category" is empty' },
    ]);
  });

  it('names the missing columns and the ones the header has', () => {
    const error = refusal(() => parseLabelledText('text,intent\nhello,a\n', 'csv', columns, 'data.csv'));
    expect(error.message).toBe('data.csv: the header has no column "category" (it has "text", "intent")');
    expect(error.problems).toEqual([{ path: 'line 1', message: 'missing column "category"' }]);
  });

  it('refuses a header that names the text or label column twice', () => {
    const error = refusal(() => parseLabelledText('text,category,text\na,b,c\n', 'csv', columns, 'dup.csv'));
    expect(error.message).toBe('dup.csv: the header names "text" more than once');
  });

  it('lists at most the first bad rows and says how many more there are', () => {
    const lines = ['text,category', ...Array.from({ length: 120 }, (_, i) => `row ${i},`), 'good,a', 'good,b'];
    const error = refusal(() => parseLabelledText(lines.join('\n'), 'csv', columns, 'big.csv'));
    expect(error.problems).toHaveLength(maxListedProblems);
    expect(error.problems[0]).toEqual({ path: 'line 2', message: 'the label column "category" is empty' });
    expect(error.message).toBe(`big.csv: 120 bad rows; nothing was read (the first ${maxListedProblems} are listed, 70 more not shown)`);
    expect(error.details).toMatchObject({ badRows: 120 });
  });

  it('refuses an empty file, a header without rows, and a single label', () => {
    expect(refusal(() => parseLabelledText('', 'csv', columns, 'e.csv')).message).toMatch(/e\.csv: the file is empty/);
    expect(refusal(() => parseLabelledText('text,category\n', 'csv', columns, 'h.csv')).message).toBe('h.csv: the dataset has no examples');
    expect(refusal(() => parseLabelledText('text,category\na,x\nb,x\n', 'csv', columns, 'one.csv')).message)
      .toBe('one.csv: every example has the label "x"; a classifier needs at least two labels');
    expect(refusal(() => parseLabelledText('\n\n', 'jsonl', columns, 'e.jsonl')).message).toBe('e.jsonl: the dataset has no examples');
  });

  it('reads JSON Lines, skipping blank lines; numeric labels become strings', () => {
    const text = '{"text":"hello","category":"greet"}\n\n  \r\n{"text":"bye","category":2,"extra":true}\n';
    expect(parseLabelledText(text, 'jsonl', columns, 'd.jsonl')).toEqual([{ text: 'hello', label: 'greet' }, { text: 'bye', label: '2' }]);
  });

  it('names every bad JSON line and what is wrong with it', () => {
    const text = [
      '{"text":"ok","category":"a"}', '{"text":"ok"', '[1,2]', '{"category":"b"}', '{"text":5,"category":"b"}',
      '{"text":"x","category":null}', '{"text":"  ","category":"b"}', '{"text":"ok","category":"b"}',
    ].join('\n');
    const error = refusal(() => parseLabelledText(text, 'jsonl', columns, 'd.jsonl'));
    expect(error.problems.map((p) => p.path)).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    expect(error.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^is not valid JSON/),
      'is not a JSON object',
      'has no "text" field (the text column)',
      'the text column "text" is a number, not a string',
      'the label column "category" is null, not a string or number',
      'the text column "text" is empty',
    ]);
  });

  it('does not read a column from the object prototype', () => {
    const error = refusal(() => parseLabelledText('{"text":"a","label":"x"}\n{"text":"b","label":"y"}', 'jsonl', { textColumn: 'text', labelColumn: 'constructor' }, 'p.jsonl'));
    expect(error.problems[0]).toEqual({ path: 'line 1', message: 'has no "constructor" field (the label column)' });
  });
});

describe('readLabelledFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'keel-dataset-'));

  it('reads a CSV file with a byte order mark', async () => {
    const path = join(folder, 'ok.csv');
    writeFileSync(path, '\ufefftext,category\nhello,a\nbye,b\n');
    expect(await readLabelledFile(path, columns)).toEqual([{ text: 'hello', label: 'a' }, { text: 'bye', label: 'b' }]);
  });

  it('refuses an unknown extension, a missing file, a folder and bytes that are not UTF-8, naming the file', async () => {
    const bin = join(folder, 'latin1.csv');
    writeFileSync(bin, Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0xe9, 0x0a]));
    mkdirSync(join(folder, 'dir.csv'));
    const cases: Array<[string, RegExp]> = [
      [join(folder, 'data.xlsx'), /data\.xlsx: not a labelled dataset \(expected a \.csv or \.jsonl file\)/],
      [join(folder, 'missing.csv'), /missing\.csv: cannot read the dataset \(no such file\)/],
      [join(folder, 'dir.csv'), /dir\.csv: cannot read the dataset \(it is a folder\)/],
      [bin, /latin1\.csv: the file is not UTF-8 text/],
    ];
    for (const [path, message] of cases) {
      const error = await readLabelledFile(path, columns).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KeelError);
      expect((error as KeelError).code).toBe('invalid_input');
      expect((error as KeelError).message).toMatch(message);
    }
  });
});
