// Turns zod issues into problems a person can act on: plain messages, one problem per unknown key,
// "did you mean" hints, and the best-matching branch of a union instead of every branch's noise.
import { z } from 'zod';
import type { PathSegment } from './locate.js';
import { suggestion } from './suggest.js';

/** A problem before it is tied to a file position. */
export interface SpecProblem {
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key rather than its value (unknown fields). */
  atKey?: boolean;
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

const fallbackHint = 'schema/workflow.schema.json describes what each field accepts';
const durationHint = 'write an integer and a unit: 500ms, 5s, 2m, 4h or 1d';

/** Hints keyed by the field name at the end of the path; they explain the field, not the error. */
const fieldHints: Record<string, string> = {
  title: 'a short human title, e.g. "Support ticket triage"',
  owner: 'the accountable person, e.g. ops-lead@example.com',
  risk: 'low, medium or high: how much harm a wrong output can do',
  delivery:
    'idempotent (the target honours our idempotency key), check-then-act (we can look the result up before ' +
    'retrying) or unsafe (neither: a crash mid-call sends the run to a person)',
  timeout: durationHint,
  due: durationHint,
  backoff: durationHint,
  max_backoff: durationHint,
  secret: 'reference an environment variable, e.g. { env: KEEL_HOOK_SECRET }; never write the secret itself',
  env: 'write the NAME of an environment variable holding the secret, e.g. { env: KEEL_HOOK_SECRET }',
  next_review: 'write a date such as 2027-03-01',
  max_attempts: 'a whole number from 1 to 20',
  then: 'auto (act on the output), review (send it to a person) or escalate',
};

/**
 * `raw` and `schema` are the value and schema the issues were produced from; `base` is where, inside
 * them, the issues' own paths start (used for the branches of a union).
 */
export function zodIssuesToProblems(
  issues: readonly Issue[],
  raw: unknown,
  schema: AnySchema,
  base: PathSegment[] = [],
): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    out.push(...convert(issue, path, raw, schema));
  }
  return out;
}

function convert(issue: Issue, path: PathSegment[], raw: unknown, schema: AnySchema): SpecProblem[] {
  const last = path[path.length - 1];
  const field = typeof last === 'string' ? last : undefined;
  const fieldHint = field === 'id' ? idHint(path) : field ? fieldHints[field] : undefined;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(schema, path, raw);
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown field "${key}"`,
        hint: `remove it or fix its spelling; ${suggestion(key, allowed, 'allowed fields here')}`,
        atKey: true,
      }));
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const value = valueAt(raw, path);
        const options = ('options' in issue ? (issue.options ?? []) : []).map(String);
        return [
          {
            path,
            message: value === undefined ? `missing required field "${field ?? ''}"` : `unknown ${field} "${String(value)}"`,
            hint: value === undefined || typeof value !== 'string'
              ? `${field} must be one of: ${options.join(', ')}`
              : `${suggestion(value, options, `${field} must be one of`)}`,
          },
        ];
      }
      return convertUnion(issue.errors, path, raw, schema);
    }
    case 'invalid_type': {
      if (isMissing(raw, path)) {
        return [{ path, message: `missing required field "${String(last)}"`, hint: fieldHint ?? `add "${String(last)}"` }];
      }
      const value = valueAt(raw, path);
      const hint = value === null ? 'the value is empty; write {} for an empty map, [] for an empty list' : fieldHint;
      return [{ path, message: `must be ${article(issue.expected)}, not ${describe(value)}`, hint: hint ?? fallbackHint }];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const value = valueAt(raw, path);
      const near = typeof value === 'string' ? suggestion(value, options, 'allowed values') : '';
      return [
        {
          path,
          message: `must be one of: ${options.join(', ')} (found ${JSON.stringify(value) ?? 'nothing'})`,
          hint: near.startsWith('did you mean') ? near : (fieldHint ?? `use one of: ${options.join(', ')}`),
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const numeric = issue.origin === 'number' || issue.origin === 'int';
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      return [{ path, message: numeric ? `must be ${bound}` : plain(issue.message), hint: fieldHint ?? fallbackHint }];
    }
    default:
      return [{ path, message: plain(issue.message), hint: fieldHint ?? fallbackHint }];
  }
}

/**
 * A plain union reports every branch's failures. The branch with no problems at its own level is the
 * one the author meant (e.g. the `schedule` trigger with a bad cron type); if none is, the shape
 * itself is wrong and one message naming the allowed forms beats a list of every branch's errors.
 */
function convertUnion(branches: Issue[][], path: PathSegment[], raw: unknown, schema: AnySchema): SpecProblem[] {
  const shallow = (issues: Issue[]) =>
    issues.filter((i) => i.path.length === 0 || (i.path.length === 1 && isMissing(valueAt(raw, path), i.path.map(String))))
      .length;
  const best = [...branches].sort((a, b) => shallow(a) - shallow(b))[0];
  if (best && shallow(best) === 0) return zodIssuesToProblems(best, raw, schema, path);

  const forms = unionOptionKeys(schemaAt(schema, path, raw));
  const oneKeyEach = forms.length > 0 && forms.every((keys) => keys.length === 1);
  return [
    {
      path,
      message: oneKeyEach
        ? `must have exactly one of: ${forms.map((k) => k[0]).join(', ')}`
        : 'does not match any of the allowed forms',
      hint: oneKeyEach ? `e.g. { ${forms[0]?.[0]}: {} }` : fallbackHint,
    },
  ];
}

function idHint(path: PathSegment[]): string {
  return path.length === 1
    ? 'lower-case letters, digits and dashes, starting with a letter, e.g. support-triage'
    : 'lower-case letters, digits, _ and -, starting with a letter, e.g. classify';
}

// ---- reading the raw data and the schema at a path -------------------------------------------

export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let cur = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

function isMissing(raw: unknown, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return raw === undefined;
  const parent = valueAt(raw, path.slice(0, -1));
  return isRecord(parent) && !Object.hasOwn(parent, String(path[path.length - 1]));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unwrap(s: AnySchema | undefined): AnySchema | undefined {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault) cur = cur.unwrap();
    else if (cur instanceof z.ZodNullable) cur = cur.unwrap();
    else if (cur instanceof z.ZodPipe) cur = cur.in;
    else return cur;
  }
}

/** For a union, the option the data most resembles (same `kind`, then most keys in common). */
function pickOption(s: AnySchema | undefined, data: unknown): AnySchema | undefined {
  if (!(s instanceof z.ZodUnion)) return s;
  const keys = isRecord(data) ? Object.keys(data) : [];
  let best: AnySchema | undefined;
  let bestScore = -1;
  for (const option of s.options as readonly AnySchema[]) {
    const o = unwrap(option);
    if (!(o instanceof z.ZodObject)) continue;
    const shape = o.shape as Record<string, AnySchema>;
    const kind = unwrap(shape.kind);
    const kindMatches = kind instanceof z.ZodLiteral && isRecord(data) && kind.values.has(data.kind as never);
    const score = (kindMatches ? 1000 : 0) + keys.filter((k) => k in shape).length;
    if (score > bestScore) [best, bestScore] = [o, score];
  }
  return best;
}

/** The schema at `path`, choosing union options by the data on the way; a union at the end is returned as is. */
function schemaAt(root: AnySchema, path: readonly PathSegment[], raw: unknown): AnySchema | undefined {
  let s = unwrap(root);
  let data = raw;
  for (const seg of path) {
    s = pickOption(s, data);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, AnySchema>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as AnySchema;
    else if (s instanceof z.ZodRecord) s = s.valueType as AnySchema;
    else return undefined;
    s = unwrap(s);
    data = valueAt(data, [seg]);
  }
  return s;
}

function objectKeysAt(root: AnySchema, path: readonly PathSegment[], raw: unknown): string[] {
  const s = pickOption(schemaAt(root, path, raw), valueAt(raw, path));
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unionOptionKeys(s: AnySchema | undefined): string[][] {
  if (!(s instanceof z.ZodUnion)) return [];
  return (s.options as readonly AnySchema[]).map((o) => {
    const u = unwrap(o);
    return u instanceof z.ZodObject ? Object.keys(u.shape) : [];
  });
}

// ---- wording --------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function article(expected: string): string {
  const words: Record<string, string> = { object: 'a map', array: 'a list', string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false' };
  return words[expected] ?? expected;
}

/** zod's default messages start with "Invalid input: "; people need only the part after it. */
function plain(message: string): string {
  return message.replace(/^Invalid (input|string|option|number):\s*/i, '').replace(/^Too (small|big):\s*/i, '');
}
