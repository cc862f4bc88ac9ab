// Reads a workflow file and reports every problem in it at once, each at its file:line:col with a
// hint: fixing a file one error per run is the slowest way to learn a format.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { KeelError, type FieldProblem } from '../errors.js';
import { zodIssuesToProblems, type SpecProblem } from './issues.js';
import { formatPath, locate } from './locate.js';
import { salvage } from './salvage.js';
import { workflowSchema, type WorkflowSpec } from './schema.js';
import { checkableFromSpec, checkWorkflow } from './semantic.js';

export type WorkflowValidation = { ok: true; spec: WorkflowSpec } | { ok: false; problems: FieldProblem[] };

/** Parses and checks a workflow file's text; never throws for problems in the text. */
export function validateWorkflowText(text: string, fileName: string): WorkflowValidation {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `2027-03-01` stays a string and `no` stays a string, as people mean them.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const at = (p: SpecProblem): FieldProblem => toFieldProblem(p, doc, lineCounter, fileName);

  // A document with syntax errors is only partly understood; shape errors found in the guessed
  // remainder would send people after problems that are not there, so report the syntax alone.
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => syntaxProblem(e, lineCounter, fileName)) };
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [at({ path: [], message, hint: 'use fewer YAML aliases (*name)' })] };
  }
  if (raw === null || raw === undefined) {
    return {
      ok: false,
      problems: [at({ path: [], message: 'the file is empty', hint: 'start with `id:`, `title:`, `owner:` and `risk:`' })],
    };
  }

  const parsed = workflowSchema.safeParse(raw, { reportInput: true });
  const problems: SpecProblem[] = parsed.success ? [] : zodIssuesToProblems(parsed.error.issues, raw, workflowSchema);
  problems.push(...checkWorkflow(parsed.success ? checkableFromSpec(parsed.data) : salvage(raw)));

  if (parsed.success && problems.length === 0) return { ok: true, spec: parsed.data };
  return { ok: false, problems: sortAndDedupe(problems.map(at)) };
}

/** Parses a workflow file's text, or throws one `invalid_workflow` KeelError listing every problem. */
export function parseWorkflow(text: string, fileName: string): WorkflowSpec {
  const result = validateWorkflowText(text, fileName);
  if (result.ok) return result.spec;
  const count = result.problems.length;
  const first = result.problems[0];
  throw new KeelError(
    'invalid_workflow',
    `${fileName} is not a valid workflow (${count} problem${count === 1 ? '' : 's'})` +
      (first ? `; first: ${first.path}: ${first.message}` : ''),
    { problems: result.problems, hint: `fix every problem listed, then run \`keel validate ${fileName}\` again` },
  );
}

/** Reads and parses a workflow file; problems are reported against the path as given. */
export async function loadWorkflowFile(path: string): Promise<WorkflowSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw new KeelError('not_found', `workflow file ${path} does not exist`, { cause: error, hint: 'check the path' });
    }
    throw error;
  }
  return parseWorkflow(text, path);
}

function toFieldProblem(p: SpecProblem, doc: Document, lineCounter: LineCounter, fileName: string): FieldProblem {
  const { line, col } = locate(doc, lineCounter, p.path, { key: p.atKey });
  const where = formatPath(p.path);
  const out: FieldProblem = { path: `${fileName}:${line}:${col}${where ? ` ${where}` : ''}`, message: p.message };
  if (p.hint) out.hint = p.hint;
  return out;
}

const syntaxHints: Record<string, string> = {
  DUPLICATE_KEY: 'each key may appear only once in a map; remove or rename one of them',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'check the indentation: a nested key needs more spaces than its parent, siblings the same',
  MULTIPLE_DOCS: 'a workflow file holds one document; remove the extra `---`',
  MISSING_CHAR: 'a bracket or quote is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'a key is missing its `:` or the line above is indented wrongly',
};

function syntaxProblem(error: YAMLError, lineCounter: LineCounter, fileName: string): FieldProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return {
    path: `${fileName}:${line}:${col}`,
    message: `YAML syntax error: ${error.message.replace(/\s+at line \d+, column \d+.*$/s, '')}`,
    hint: syntaxHints[error.code] ?? 'fix the YAML syntax; quote values that contain `: `, `#` or start with `{`, `[`, `*` or `&`',
  };
}

function sortAndDedupe(problems: FieldProblem[]): FieldProblem[] {
  const position = (p: FieldProblem) => {
    const m = /:(\d+):(\d+)(?: |$)/.exec(p.path);
    return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)] as const;
  };
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.path}\u0000${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((p, i) => ({ p, i, pos: position(p) }))
    .sort((a, b) => a.pos[0] - b.pos[0] || a.pos[1] - b.pos[1] || a.i - b.i)
    .map(({ p }) => p);
}
