// Reads a library file, YAML (`.yaml`, `.yml`) or Markdown with YAML front matter (`.md`, whose body
// is the prompt's template or the document's text), and reports every problem at file:line:col.
import { LineCounter, parseDocument } from 'yaml';
import { KeelError, type FieldProblem } from '../errors.js';
import { canonicalJson, compileJsonSchema } from '../spec/index.js';
import { createHash } from 'node:crypto';
import { closest, placeProblem, zodProblems, type EntryProblem, type SourceMap } from './problems.js';
import { libraryRefProblem } from './refs.js';
import { documentEntrySchema, promptEntrySchema, promptParametersSchema, type LibraryEntry, type PromptEntry } from './schema.js';
import { renderTemplateSync, templateProblem, templateSyntaxProblem } from './template.js';

export type LibraryValidation = { ok: true; entry: LibraryEntry } | { ok: false; problems: FieldProblem[] };

export interface LibraryParseOptions {
  /** The model names of the configuration; when given, a prompt naming another model is a problem. */
  models?: readonly string[];
}

export const libraryFileExtensions = ['.yaml', '.yml', '.md'] as const;

/** Parses and checks a library file's text; never throws for problems in the text. */
export function validateLibraryText(text: string, fileName: string, opts: LibraryParseOptions = {}): LibraryValidation {
  const markdown = /\.md$/i.test(fileName);
  let yamlText = text.replace(/^\uFEFF/, '');
  let lineOffset = 0;
  let body: { text: string; line: number } | undefined;
  if (markdown) {
    const split = splitFrontMatter(yamlText);
    if (!split) {
      return { ok: false, problems: [{ path: `${fileName}:1:1`, message: 'a Markdown library file starts with YAML front matter between two --- lines', hint: 'begin the file with ---, then name:, description: ..., then ---, then the text' }] };
    }
    ({ yaml: yamlText, lineOffset } = split);
    body = { text: split.body, line: split.bodyLine };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `${fileName}:${line + lineOffset}:${col}`, message: `YAML syntax error: ${e.message.replace(/\s+at line \d+, column \d+.*$/s, '')}` };
      }),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [{ path: `${fileName}:${1 + lineOffset}:1`, message: error instanceof Error ? error.message : String(error) }] };
  }
  const map: SourceMap = { fileName, doc, lineCounter, lineOffset, text: yamlText };
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [placeProblem({ path: [], message: 'the file must be a map of fields', hint: 'start with `name:` and `description:` (a prompt) or `kind: document`' }, map)] };
  }
  const fields = { ...(raw as Record<string, unknown>) };
  const problems: EntryProblem[] = [];
  const isDocument = fields.kind === 'document';
  if (fields.kind !== undefined && fields.kind !== 'prompt' && !isDocument) {
    return { ok: false, problems: [placeProblem({ path: ['kind'], message: `unknown kind ${JSON.stringify(fields.kind)}`, hint: 'kind is prompt (the default) or document' }, map)] };
  }
  const bodyField = isDocument ? 'body' : 'template';
  if (body && body.text !== '') {
    if (fields[bodyField] !== undefined) {
      problems.push({ path: [bodyField], message: `\`${bodyField}\` is given twice: in the front matter and as the Markdown body`, hint: 'keep one of them', atKey: true });
    } else {
      fields[bodyField] = body.text;
      map.body = { field: bodyField, line: body.line };
    }
  }

  const schema = isDocument ? documentEntrySchema : promptEntrySchema;
  const parsed = schema.safeParse(fields);
  if (!parsed.success) problems.push(...zodProblems(parsed.error.issues, schema).map(misplacedParameter));
  else if (!isDocument) problems.push(...promptProblems(parsed.data as PromptEntry, opts));
  if (parsed.success && problems.length === 0) {
    const entry = (isDocument ? parsed.data : { ...parsed.data, kind: 'prompt' }) as LibraryEntry;
    return { ok: true, entry };
  }
  return { ok: false, problems: sortProblems(problems.map((p) => placeProblem(p, map))) };
}

/** Parses a library file's text, or throws one `invalid_input` KeelError listing every problem. */
export function parseLibraryFile(text: string, fileName: string, opts: LibraryParseOptions = {}): LibraryEntry {
  const result = validateLibraryText(text, fileName, opts);
  if (result.ok) return result.entry;
  const count = result.problems.length;
  const first = result.problems[0];
  throw new KeelError('invalid_input', `${fileName} is not a valid library file (${count} problem${count === 1 ? '' : 's'})` + (first ? `; first: ${first.path}: ${first.message}` : ''), {
    problems: result.problems, hint: 'fix every problem listed, then deploy the file again',
  });
}

/** The content hash of a parsed entry: front-matter formatting and comments do not make a new version. */
export function libraryContentHash(entry: LibraryEntry): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

/** `temperature:` at the top of a prompt: say where model settings go. */
function misplacedParameter(p: EntryProblem): EntryProblem {
  const key = p.path.length === 1 && p.atKey ? String(p.path[0]) : undefined;
  const near = key === undefined ? undefined : closest(key, Object.keys(promptParametersSchema.shape));
  return near ? { ...p, hint: `model settings go under \`parameters:\`; did you mean parameters.${near}?` } : p;
}

/** Checks that need the whole prompt: templates parse, the output schema compiles, examples fit. */
function promptProblems(p: PromptEntry, opts: LibraryParseOptions): EntryProblem[] {
  const out: EntryProblem[] = [];
  for (const field of ['system', 'template'] as const) {
    const text = p[field];
    const problem = text === undefined ? undefined : templateSyntaxProblem(text);
    if (problem) out.push({ path: [field], message: `template error: ${problem.message}`, ...(problem.at ? { inner: problem.at } : {}) });
  }
  if (p.model !== undefined && opts.models && !opts.models.includes(p.model)) {
    out.push({ path: ['model'], message: `no model named "${p.model}" in the configuration`, hint: `configured models: ${opts.models.join(', ') || 'none'}` });
  }
  let validate: ReturnType<typeof compileJsonSchema> | undefined;
  if (p.output_schema) {
    try {
      validate = compileJsonSchema(p.output_schema);
    } catch (error) {
      out.push({ path: ['output_schema'], message: `not a valid JSON Schema: ${(error instanceof Error ? error.message : String(error)).replace(/^strict mode:\s*/, '')}` });
    }
  }
  for (const [i, ref] of (p.references ?? []).entries()) {
    const problem = libraryRefProblem(ref);
    if (problem) out.push({ path: ['references', i], message: `"${ref}" is not a library reference: ${problem}`, hint: 'write name, name@label or name@N' });
  }
  const templateOk = !out.some((o) => o.path[0] === 'template');
  for (const [i, example] of (p.examples ?? []).entries()) {
    if (typeof example.input === 'object' && templateOk) {
      try {
        renderTemplateSync(p.template, example.input);
      } catch (error) {
        out.push({ path: ['examples', i, 'input'], message: `the template cannot be rendered with this example's variables: ${templateProblem(error).message}`, hint: 'give every variable the template reads, or write the input as text' });
      }
    }
    if (validate) {
      const value = exampleOutputValue(example.output);
      if (value === undefined) {
        out.push({ path: ['examples', i, 'output'], message: 'the output must be JSON matching output_schema', hint: 'write the output as a map of values' });
      } else if (!validate(value)) {
        const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
        out.push({ path: ['examples', i, 'output'], message: `the output does not match output_schema: ${detail}` });
      }
    }
  }
  return out;
}

function exampleOutputValue(output: string | Record<string, unknown>): unknown {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `---\n<yaml>\n---\n<body>`; the body loses its leading blank lines and trailing white space, so
 * re-saving a file in another editor does not make a new version.
 */
function splitFrontMatter(text: string): { yaml: string; lineOffset: number; body: string; bodyLine: number } | undefined {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trimEnd() !== '---') return undefined;
  const end = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (end < 0) return undefined;
  let first = end + 1;
  while (first < lines.length && (lines[first] ?? '').trim() === '') first++;
  return {
    yaml: lines.slice(1, end).join('\n'),
    lineOffset: 1,
    body: lines.slice(first).join('\n').trimEnd(),
    bodyLine: first + 1,
  };
}

function sortProblems(problems: FieldProblem[]): FieldProblem[] {
  const pos = (p: FieldProblem) => {
    const m = /:(\d+):(\d+)(?: |$)/.exec(p.path);
    return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)] as const;
  };
  return problems.map((p, i) => ({ p, i, at: pos(p) })).sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1] || a.i - b.i).map(({ p }) => p);
}
