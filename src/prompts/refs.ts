// References to library entries: `name@production` (a label), `name@3` or `name@v3` (a version
// number), or a bare `name`, which means `name@production`. A workflow version records the exact
// versions its references resolved to, so resolving is one call for a whole list.
import type { Queryable } from '../db/index.js';
import { KeelError, type FieldProblem } from '../errors.js';
import { labelPattern, libraryNamePattern, type LibraryEntry, type LibraryKind } from './schema.js';

export const defaultLabel = 'production';

export type LibraryRef = { name: string; label: string; number?: undefined } | { name: string; number: number; label?: undefined };

/** The exact version a reference resolved to. */
export interface ResolvedLibraryRef {
  /** The reference in its full form: `support/reply@production`, `policies/refunds@3`. */
  ref: string;
  id: string;
  name: string;
  kind: LibraryKind;
  number: number;
  hash: string;
  content: LibraryEntry;
}

/** Parses a reference, or throws `invalid_input` saying what is wrong with it. */
export function parseLibraryRef(text: string): LibraryRef {
  const problem = libraryRefProblem(text);
  if (problem) throw new KeelError('invalid_input', `"${text}" is not a library reference: ${problem}.`, { hint: refHint });
  const [name = '', suffix] = text.trim().split('@');
  if (suffix === undefined) return { name, label: defaultLabel };
  if (/^v?\d+$/.test(suffix)) return { name, number: Number(suffix.replace(/^v/, '')) };
  return { name, label: suffix };
}

const refHint = 'write name@label (support/reply@production), name@N (support/reply@3), or a bare name for @production';

/** What is wrong with a reference's text, or undefined when it parses. */
export function libraryRefProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'it is empty';
  const parts = trimmed.split('@');
  if (parts.length > 2) return 'it has more than one @';
  const [name = '', suffix] = parts;
  if (name === '') return 'the name before @ is missing';
  if (!libraryNamePattern.test(name)) return `the name "${name}" must be lower-case path segments such as support/reply`;
  if (suffix === undefined) return undefined;
  if (suffix === '') return 'the label or version after @ is missing';
  if (/^v?\d+$/.test(suffix)) {
    const n = Number(suffix.replace(/^v/, ''));
    return n >= 1 && Number.isSafeInteger(n) ? undefined : 'version numbers start at 1';
  }
  return labelPattern.test(suffix) ? undefined : `"${suffix}" is neither a version number nor a label (a-z, 0-9, _ and -, starting with a letter)`;
}

export function formatLibraryRef(ref: LibraryRef): string {
  return ref.label !== undefined ? `${ref.name}@${ref.label}` : `${ref.name}@${ref.number}`;
}

interface ResolveRow {
  i: string;
  entry_kind: LibraryKind | null;
  id: string | null;
  kind: LibraryKind | null;
  number: number | null;
  content_hash: string | null;
  content: LibraryEntry | null;
}

/**
 * Resolves every reference of a list in one query (one snapshot), in order. Any reference that does
 * not parse or resolve fails the whole call with one error listing each problem, so a workflow that
 * names three missing documents hears about all three at once. `kind` refuses entries of the other kind.
 */
export async function resolveLibraryRefs(db: Queryable, refs: readonly string[], opts: { kind?: LibraryKind } = {}): Promise<ResolvedLibraryRef[]> {
  const problems: FieldProblem[] = [];
  const parsed = refs.map((text, i) => {
    const problem = libraryRefProblem(text);
    if (problem) problems.push({ path: `refs[${i}]`, message: `"${text}": ${problem}`, hint: refHint });
    return problem ? undefined : parseLibraryRef(text);
  });
  if (problems.length > 0) throw refError('invalid_input', problems);
  const ok = parsed as LibraryRef[];
  if (ok.length === 0) return [];
  const r = await db.query<ResolveRow>(
    `SELECT r.i::text AS i, e.kind AS entry_kind, v.id, v.kind, v.number, v.content_hash, v.content
     FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS r(name, label, number, i)
     LEFT JOIN library_entries e ON e.name = r.name
     LEFT JOIN library_labels l ON l.name = r.name AND l.label = r.label
     LEFT JOIN library_versions v ON v.name = r.name
       AND ((r.label IS NOT NULL AND v.id = l.version_id) OR (r.number IS NOT NULL AND v.number = r.number))
     ORDER BY r.i`,
    [ok.map((p) => p.name), ok.map((p) => p.label ?? null), ok.map((p) => p.number ?? null)],
  );
  const out: ResolvedLibraryRef[] = [];
  for (const [index, row] of r.rows.entries()) {
    const ref = ok[index]!;
    const full = formatLibraryRef(ref);
    const path = `refs[${index}]`;
    if (!row.entry_kind) {
      problems.push({ path, message: `${full}: no library entry is named ${ref.name}`, hint: 'list the library with `keel prompts list`; check the spelling' });
    } else if (!row.id) {
      problems.push(await missingVersionProblem(db, ref, full, path));
    } else if (opts.kind && row.kind !== opts.kind) {
      problems.push({ path, message: `${full} is a ${row.kind}, not a ${opts.kind}` });
    } else {
      out.push({ ref: full, id: row.id, name: ref.name, kind: row.kind!, number: row.number!, hash: row.content_hash!, content: row.content! });
    }
  }
  if (problems.length > 0) throw refError('not_found', problems);
  return out;
}

/** Resolves one reference to its exact version, or throws `not_found` / `invalid_input` naming it. */
export async function resolveLibraryRef(db: Queryable, ref: string, opts: { kind?: LibraryKind } = {}): Promise<ResolvedLibraryRef> {
  const [resolved] = await resolveLibraryRefs(db, [ref], opts);
  return resolved!;
}

async function missingVersionProblem(db: Queryable, ref: LibraryRef, full: string, path: string): Promise<FieldProblem> {
  if (ref.label !== undefined) {
    const labels = await db.query<{ label: string; number: number }>(
      `SELECT l.label, v.number FROM library_labels l JOIN library_versions v ON v.id = l.version_id WHERE l.name = $1 ORDER BY l.label`, [ref.name],
    );
    const known = labels.rows.map((l) => `${l.label} (v${l.number})`).join(', ');
    return {
      path, message: `${full}: ${ref.name} has no label "${ref.label}"`,
      hint: known ? `its labels are ${known}; or name a version number` : `it has no labels yet; point one with \`keel prompts label ${ref.name} ${ref.label} N\``,
    };
  }
  const latest = await db.query<{ n: number | null }>(`SELECT max(number) AS n FROM library_versions WHERE name = $1`, [ref.name]);
  return { path, message: `${full}: ${ref.name} has no version ${ref.number}`, hint: `its versions are 1 to ${latest.rows[0]?.n ?? 0}` };
}

function refError(code: 'invalid_input' | 'not_found', problems: FieldProblem[]): KeelError {
  const first = problems[0]!;
  const message = problems.length === 1 ? first.message : `${problems.length} library references do not resolve; first: ${first.message}`;
  return new KeelError(code, message.endsWith('.') ? message : `${message}.`, { problems, hint: first.hint });
}
