// An RFC 4180 CSV reader that remembers the line each record starts on, so that a bad row can be
// named to the person who has to fix it. Quoted fields may hold commas, doubled quotes and line
// breaks; a quote inside an unquoted field is kept as a character (as spreadsheets write it).

export interface CsvRecord {
  /** 1-based physical line the record starts on. */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

const comma = 44;
const quote = 34;
const cr = 13;
const lf = 10;

/** Number of line breaks (\n, \r\n or a lone \r) in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === lf || (c === cr && text.charCodeAt(i + 1) !== lf)) n++;
  }
  return n;
}

/**
 * Splits CSV text into records. Blank lines are skipped. A record with a malformed quoted field is
 * reported and left out; an unclosed quote swallows the rest of the file, so it ends the reading.
 */
export function parseCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const length = text.length;
  let i = 0;
  let line = 1;
  while (i < length) {
    const startLine = line;
    const fields: string[] = [];
    let bad: string | undefined;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === quote) {
        const parts: string[] = [];
        let at = i + 1;
        let closed = false;
        for (;;) {
          const next = text.indexOf('"', at);
          if (next < 0) break;
          parts.push(text.slice(at, next));
          line += countBreaks(text, at, next);
          if (text.charCodeAt(next + 1) === quote) {
            parts.push('"');
            at = next + 2;
            continue;
          }
          at = next + 1;
          closed = true;
          break;
        }
        if (!closed) {
          problems.push({ line: startLine, message: 'a quoted field starts on this line and is never closed (a missing closing quote)' });
          return { records, problems };
        }
        value = parts.join('');
        i = at;
        const c = text.charCodeAt(i);
        if (i < length && c !== comma && c !== cr && c !== lf) {
          bad ??= 'text follows a closing quote (a quote inside a quoted field must be doubled: "")';
          // Skip the rest of this field so the next fields still line up for the remaining checks.
          while (i < length && text.charCodeAt(i) !== comma && text.charCodeAt(i) !== cr && text.charCodeAt(i) !== lf) i++;
        }
      } else {
        let at = i;
        while (at < length) {
          const c = text.charCodeAt(at);
          if (c === comma || c === cr || c === lf) break;
          at++;
        }
        value = text.slice(i, at);
        i = at;
      }
      fields.push(value);
      if (i < length && text.charCodeAt(i) === comma) {
        i++;
        continue;
      }
      // End of the record: one line break (\r\n, \n or \r) or the end of the text.
      if (i < length) {
        if (text.charCodeAt(i) === cr && text.charCodeAt(i + 1) === lf) i++;
        i++;
        line++;
      }
      break;
    }
    if (bad) problems.push({ line: startLine, message: bad });
    else if (!(fields.length === 1 && fields[0] === '')) records.push({ line: startLine, fields });
  }
  return { records, problems };
}
