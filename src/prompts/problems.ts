// Problems in a library file, tied to the YAML node they came from so a person is sent to the exact
// file:line:col, the way `keel validate` reports workflow files, with the spec slice's locator.
import { isScalar, type Document, type LineCounter } from 'yaml';
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { closest, formatPath, locate, type PathSegment } from '../spec/index.js';

export { closest };

export { formatPath, type PathSegment };

/** A problem before it is tied to a file position. */
export interface EntryProblem {
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key rather than its value (unknown fields). */
  atKey?: boolean;
  /** A position inside the value (a template's own line and column, 1-based). */
  inner?: { line: number; col: number };
}

/** Where a YAML document sits in its file: front matter starts after the opening `---` line. */
export interface SourceMap {
  fileName: string;
  doc: Document;
  lineCounter: LineCounter;
  lineOffset: number;
  /** The YAML text `doc` was parsed from. */
  text: string;
  /** Markdown: the field the body fills, and the file line the body starts on. */
  body?: { field: string; line: number };
}

/** Ties a problem to `file:line:col path`. */
export function placeProblem(p: EntryProblem, map: SourceMap): FieldProblem {
  const { line, col, node } = locate(map.doc, map.lineCounter, p.path, { key: p.atKey === true });
  let at = { line: line + map.lineOffset, col };
  if (map.body && p.path.length === 1 && p.path[0] === map.body.field) {
    at = p.inner ? { line: map.body.line + p.inner.line - 1, col: p.inner.col } : { line: map.body.line, col: 1 };
  } else if (p.inner) {
    // A block scalar (`template: |`) starts on the line after its indicator.
    const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
    const indent = block ? blockIndent(map, line) : col - 1;
    at = { line: at.line + p.inner.line - (block ? 0 : 1), col: p.inner.line === 1 && !block ? col + p.inner.col - 1 : indent + p.inner.col };
  }
  const where = formatPath(p.path);
  const out: FieldProblem = { path: `${map.fileName}:${at.line}:${at.col}${where ? ` ${where}` : ''}`, message: p.message };
  if (p.hint) out.hint = p.hint;
  return out;
}

function blockIndent(map: SourceMap, line: number): number {
  const next = map.text.split('\n')[line] ?? '';
  return next.length - next.trimStart().length;
}


type AnySchema = z.core.$ZodType;

/** Zod issues as problems a person can act on: one per unknown key, with a "did you mean". */
export function zodProblems(issues: readonly z.core.$ZodIssue[], schema: AnySchema): EntryProblem[] {
  const out: EntryProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    const field = path.at(-1);
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, path);
      for (const key of issue.keys) {
        const near = closest(key, allowed);
        out.push({
          path: [...path, key], message: `unknown field "${key}"`, atKey: true,
          hint: `remove it or fix its spelling; ${near ? `did you mean "${near}"?` : `allowed fields here: ${allowed.join(', ')}`}`,
        });
      }
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ path, message: `"${String(field)}" is required`, atKey: true });
    } else if (issue.code === 'invalid_type') {
      out.push({ path, message: `must be ${article(issue.expected)}, not ${describe(issue.input)}` });
    } else if (issue.code === 'invalid_value') {
      out.push({ path, message: `must be one of ${issue.values.map((v) => String(v)).join(', ')}; got ${JSON.stringify(issue.input)}` });
    } else if (issue.code === 'invalid_union') {
      out.push({ path, message: 'must be text or a map of values' });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function article(expected: string): string {
  if (expected === 'record' || expected === 'object') return 'a map (key: value)';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The keys an object schema allows at `path` (for "did you mean"). */
function objectKeysAt(schema: AnySchema, path: readonly PathSegment[]): string[] {
  let current: AnySchema | undefined = schema;
  for (const seg of [...path, undefined]) {
    current = unwrap(current);
    if (!current) return [];
    const def = current._zod.def as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema };
    if (seg === undefined) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    if (def.type === 'object' && def.shape && typeof seg === 'string') current = def.shape[seg];
    else if (def.type === 'array' && typeof seg === 'number') current = def.element;
    else return [];
  }
  return [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let s = schema;
  for (let i = 0; s && i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: AnySchema };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) s = def.innerType;
    else break;
  }
  return s;
}
