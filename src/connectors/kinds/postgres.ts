// The `postgres` connector kind: named, parameterised statements on an EXTERNAL PostgreSQL
// database (never Keel's own). Least privilege by design: the SQL lives in the connector's config,
// approved by its owner, and a workflow only names a statement and passes parameters; it never
// sends SQL. Reads run inside `BEGIN READ ONLY`, so a read statement cannot write even if its SQL
// tries; every statement runs on the extended protocol, which refuses several commands in one
// string, so `COMMIT; ...` cannot leave that transaction either. The database is reached over its
// own wire protocol, not HTTP, so the egress client does not apply; the owner's URL decides where.

import pg from 'pg';
import { z } from 'zod';
import { KeelError, type ErrorCode } from '../../errors.js';
import { defineAction, type ActionCall, type ConnectorKind } from './kind.js';

/**
 * The $n placeholders an SQL text uses. String literals (also E'..' with backslash escapes), quoted
 * names, dollar-quoted bodies and comments are skipped, so a `$5` inside them is not a parameter.
 */
export function placeholders(sql: string): Set<number> {
  const used = new Set<number>();
  let i = 0;
  const skipPast = (closing: string, from: number): number => {
    const end = sql.indexOf(closing, from);
    return end < 0 ? sql.length : end + closing.length;
  };
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const backslashes = c === "'" && /[Ee]/.test(sql[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? '');
      for (i++; i < sql.length; i++) {
        if (backslashes && sql[i] === '\\') i++;
        else if (sql[i] === c && sql[i + 1] === c) i++;
        else if (sql[i] === c) break;
      }
      i++;
    } else if (sql.startsWith('--', i)) i = skipPast('\n', i);
    else if (sql.startsWith('/*', i)) {
      // PostgreSQL comments nest.
      let depth = 0;
      do {
        const opens = sql.startsWith('/*', i);
        const closes = !opens && sql.startsWith('*/', i);
        depth += opens ? 1 : closes ? -1 : 0;
        i += opens || closes ? 2 : 1;
      } while (depth > 0 && i < sql.length);
    } else if (c === '$' && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? '')) {
      const number = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66));
      if (number) used.add(Number(number[1]));
      i = number ? i + number[0].length : tag ? skipPast(tag[0], i + tag[0].length) : i + 1;
    } else i++;
  }
  return used;
}

const statementSchema = z
  .strictObject({
    /** The SQL, with parameters as $1..$n. */
    sql: z.string().min(1),
    /** `read` statements are called with `query` (read-only transaction), `write` ones with `execute`. */
    mode: z.enum(['read', 'write']),
    description: z.string().optional(),
    /** The owner vouches that running it twice has the effect of once (e.g. ON CONFLICT DO NOTHING on a key). */
    idempotent: z.boolean().default(false),
    /** The $n that receives the run's idempotency key; the workflow passes the other parameters. */
    idempotency_param: z.number().int().positive().optional(),
  })
  .superRefine((statement, ctx) => {
    const used = placeholders(statement.sql);
    const highest = Math.max(0, ...used);
    for (let n = 1; n < highest; n++) {
      if (!used.has(n)) ctx.addIssue({ code: 'custom', path: ['sql'], message: `uses $${highest} but not $${n}; number parameters without gaps` });
    }
    if (statement.mode === 'read' && (statement.idempotent || statement.idempotency_param !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'idempotent and idempotency_param are for write statements' });
    }
    if (statement.idempotency_param !== undefined && !used.has(statement.idempotency_param)) {
      ctx.addIssue({ code: 'custom', path: ['idempotency_param'], message: `$${statement.idempotency_param} does not appear in the sql` });
    }
  });
export type PostgresStatement = z.infer<typeof statementSchema>;

export const postgresConfigSchema = z.strictObject({
  /** The name of the secret holding the connection URL (postgres://user:password@host:port/db). */
  url_secret: z.string().min(1),
  /** The only SQL this connector will ever run, by name. */
  statements: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,99}$/, 'letters, digits, _ and -; starting with a letter'), statementSchema)
    .refine((statements) => Object.keys(statements).length > 0, 'declare at least one statement'),
  /** Server-side limit per statement (SET LOCAL statement_timeout); default 10 s. */
  statement_timeout_ms: z.number().int().positive().default(10_000),
  /** How long to wait for the connection and login; default 10 s. */
  connect_timeout_ms: z.number().int().positive().default(10_000),
  /** Rows answered at most; more are dropped and the answer says `truncated: true`. Default 1000. */
  max_rows: z.number().int().positive().default(1000),
});
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

const callInput = z.strictObject({
  /** The statement's name in the connector config. */
  statement: z.string().min(1),
  /** $1..$n in order (leaving out the idempotency parameter). Arrays become PostgreSQL arrays, objects JSON. */
  params: z.array(z.json()).default([]),
});
type CallInput = z.infer<typeof callInput>;

type Mode = PostgresStatement['mode'];

function statementFor(config: PostgresConfig, name: string, mode: Mode): PostgresStatement {
  const statement = Object.hasOwn(config.statements, name) ? config.statements[name] : undefined;
  if (statement === undefined) {
    const known = Object.keys(config.statements).sort().join(', ');
    throw new KeelError('invalid_input', `postgres: no statement named ${JSON.stringify(name)}; this connector has: ${known}`, {
      problems: [{ path: 'statement', message: 'unknown statement' }],
    });
  }
  if (statement.mode !== mode) {
    const other = statement.mode === 'read' ? 'query' : 'execute';
    throw new KeelError('invalid_input', `postgres: statement ${JSON.stringify(name)} is a ${statement.mode} statement; call it with ${other}`, {
      problems: [{ path: 'statement', message: `mode is ${statement.mode}` }],
    });
  }
  return statement;
}

/** The values for $1..$n: the workflow's parameters with the idempotency key spliced in at its place. */
function valuesFor(name: string, statement: PostgresStatement, params: unknown[], idempotencyKey: string): unknown[] {
  const highest = Math.max(0, ...placeholders(statement.sql));
  const key = statement.idempotency_param;
  const expected = key === undefined ? highest : highest - 1;
  if (params.length !== expected) {
    const fromKey = key === undefined ? '' : ` ($${key} is the idempotency key, filled in by Keel)`;
    throw new KeelError('invalid_input', `postgres: statement ${JSON.stringify(name)} takes ${expected} parameter(s)${fromKey}; got ${params.length}`, {
      problems: [{ path: 'params', message: `expected ${expected} item(s)` }],
    });
  }
  const values = [...params];
  if (key !== undefined) values.splice(key - 1, 0, idempotencyKey);
  return values;
}

// Never throws: a sandbox or a review task shows even a call that run() would refuse.
function render(config: PostgresConfig, input: CallInput): unknown {
  const statement = Object.hasOwn(config.statements, input.statement) ? config.statements[input.statement] : undefined;
  const params: unknown[] = [...input.params];
  const key = statement?.idempotency_param;
  if (key !== undefined && key - 1 <= params.length) params.splice(key - 1, 0, '<the run idempotency key>');
  return { statement: input.statement, mode: statement?.mode ?? null, sql: statement?.sql ?? null, params };
}

interface Answer {
  rows: unknown[];
  row_count: number;
  truncated: boolean;
}

// Dates and bytea would not survive the step's JSON output as they are.
function toJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

/**
 * Runs one statement, keeping at most `maxRows` rows: rows arrive one by one and the rest are
 * counted, not held, so a statement returning millions cannot exhaust memory. `row_count` is the
 * command's own count (rows affected by a write, rows produced by a read).
 */
function runBounded(client: pg.Client, text: string, values: unknown[], maxRows: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const rows: unknown[] = [];
    let truncated = false;
    // queryMode 'extended' even without parameters: the simple protocol would run `a; b` as two commands.
    const config = { text, values, queryMode: 'extended' } as pg.QueryConfig;
    const query = new pg.Query(config);
    query.on('row', (row: Record<string, unknown>) => {
      if (rows.length < maxRows) rows.push(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toJson(v)])));
      else truncated = true;
    });
    query.on('error', reject);
    query.on('end', (result) => resolve({ rows, row_count: result.rowCount ?? rows.length, truncated }));
    client.query(query);
  });
}

type Phase = 'connect' | 'run' | 'commit';
type Stopped = 'aborted' | 'deadline';
// Slack before the client gives up on a silent server: time to connect, for the statement and
// for the COMMIT (each bounded by statement_timeout on a live server), and a second more.
const deadlineFor = (config: PostgresConfig): number => config.connect_timeout_ms + 2 * config.statement_timeout_ms + 1_000;

interface Failure {
  statement: string;
  mode: Mode;
  secretName: string;
  timeoutMs: number;
  phase: Phase;
  stopped: Stopped | undefined;
  signal: AbortSignal;
  redact: (text: string) => string;
}

/** Replaces the URL and its password (as written, decoded and encoded) wherever a message repeats them. */
function redactor(url: string): (text: string) => string {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    for (const password of [parsed.password, parsed.searchParams.get('password') ?? '']) {
      secrets.push(password, encodeURIComponent(password));
      try {
        secrets.push(decodeURIComponent(password));
      } catch {
        // not percent-encoded: the raw form is already listed
      }
    }
  } catch {
    // not a URL; the whole string is still redacted
  }
  // Longest first, so the URL is replaced whole before its password is looked for.
  const ordered = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/**
 * A KeelError for whatever pg threw, with the connection secrets redacted from its message and a
 * code that says who must act: the statement's owner (misconfigured), the workflow's input
 * (invalid_input, conflict), time (step_timeout, action_failed retriable) or a person, when a
 * write may or may not have committed (outcome_unknown). The pg error itself is not kept as cause,
 * since it may carry connection details; its SQLSTATE is kept in details.
 */
function translateError(error: unknown, at: Failure): KeelError {
  if (error instanceof KeelError) return error;
  const sqlstate = error instanceof pg.DatabaseError ? error.code : undefined;
  const message = at.redact(error instanceof Error ? error.message : String(error));
  const details = { statement: at.statement, ...(sqlstate ? { sqlstate } : {}) };
  const fail = (code: ErrorCode, text: string, retriable: boolean, hint?: string): KeelError =>
    new KeelError(code, text, { retriable, hint, details, cause: new Error(message) });
  const named = `postgres statement ${JSON.stringify(at.statement)}`;
  // Only a reply from the server proves the COMMIT failed; a lost connection leaves it unknown.
  if (at.mode === 'write' && at.phase === 'commit' && sqlstate === undefined) {
    const text = `${named}: the connection ended while committing, so whether the write happened is unknown (${message})`;
    return fail('outcome_unknown', text, false, 'look in the target table before running it again');
  }
  if (at.stopped === 'aborted') {
    if (at.signal.reason instanceof KeelError) return at.signal.reason;
    return fail('action_failed', `${named} was aborted before it committed; nothing was written`, false);
  }
  if (at.stopped === 'deadline') return fail('step_timeout', `${named}: the database stopped answering; gave up before any commit`, true);
  if (at.phase === 'connect') {
    const refused = sqlstate !== undefined && (sqlstate.startsWith('28') || sqlstate === '3D000');
    const hint = `check the connection URL in secret ${at.secretName} and that the database is reachable`;
    return fail(refused ? 'misconfigured' : 'action_failed', `postgres: could not connect (${message})`, !refused, hint);
  }
  const kind = sqlstate?.slice(0, 2);
  if (sqlstate === '57014') {
    return fail('step_timeout', `${named} ran longer than statement_timeout_ms (${at.timeoutMs} ms) and was cancelled`, true);
  }
  if (sqlstate === '25006') {
    const text = `${named} is declared read but tries to write; the read-only transaction refused it (${message})`;
    return fail('misconfigured', text, false, 'declare it mode: write and call it with execute');
  }
  if (sqlstate === '23505') return fail('conflict', `${named} would duplicate a unique key (${message})`, false);
  if (kind === '22' || kind === '23') {
    return fail('invalid_input', `${named} failed on its data, often a parameter of the wrong type or range (${message})`, false);
  }
  if (kind === '42' || kind === '0A') {
    return fail('misconfigured', `${named} cannot run as configured (${message})`, false, 'fix its SQL or the privileges of the database role');
  }
  return fail('action_failed', `${named} failed (${message})`, true);
}

async function run(call: ActionCall<PostgresConfig, CallInput>, mode: Mode): Promise<Answer> {
  const { config, input, context } = call;
  const statement = statementFor(config, input.statement, mode);
  const values = valuesFor(input.statement, statement, input.params, context.idempotencyKey);
  const url = await context.secret(config.url_secret);
  const redact = redactor(url);
  const where = { statement: input.statement, mode, secretName: config.url_secret, timeoutMs: config.statement_timeout_ms };
  let phase: Phase = 'connect';
  let stopped: Stopped | undefined;
  if (context.signal.aborted) throw translateError(context.signal.reason, { ...where, phase, stopped: 'aborted', signal: context.signal, redact });
  // One short-lived client per call: no pool holds credentials or sessions between runs.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: config.connect_timeout_ms, application_name: 'keel' });
  // A connection lost while idle is reported here; without a listener it would crash the process.
  client.on('error', () => undefined);
  // Ending the connection is how a call is stopped, on abort or when a server stops answering
  // (statement_timeout cannot fire then). The server rolls back the open transaction when it
  // notices, and statement_timeout bounds how long it keeps working until then. pg's own
  // query_timeout is not used: it takes over the query's callback and mutes its 'error' event.
  const stop = (why: Stopped): void => {
    stopped ??= why;
    void client.end().catch(() => undefined);
  };
  const onAbort = (): void => stop('aborted');
  context.signal.addEventListener('abort', onAbort, { once: true });
  const deadline = setTimeout(() => stop('deadline'), deadlineFor(config));
  try {
    await client.connect();
    phase = 'run';
    await client.query(mode === 'read' ? 'BEGIN READ ONLY' : 'BEGIN');
    // set_config(..., true) is SET LOCAL: the limit ends with this transaction.
    await client.query("SELECT set_config('statement_timeout', $1, true)", [String(config.statement_timeout_ms)]);
    const answer = await runBounded(client, statement.sql, values, config.max_rows);
    phase = 'commit';
    await client.query(mode === 'read' ? 'ROLLBACK' : 'COMMIT');
    return answer;
  } catch (error) {
    throw translateError(error, { ...where, phase, stopped, signal: context.signal, redact });
  } finally {
    clearTimeout(deadline);
    context.signal.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

export const postgresKind: ConnectorKind<PostgresConfig> = {
  kind: 'postgres',
  description: 'Named, owner-approved SQL statements on an external PostgreSQL database; workflows pass parameters, never SQL.',
  config: postgresConfigSchema,
  secretNames: (config) => [config.url_secret],
  actions: {
    query: defineAction<PostgresConfig, CallInput>({
      scope: 'db:read',
      delivery: 'idempotent',
      sideEffect: false,
      input: callInput,
      render,
      run: (call) => run(call, 'read'),
    }),
    execute: defineAction<PostgresConfig, CallInput>({
      scope: 'db:write',
      // The class belongs to the action and may depend only on the config, not on which statement
      // a step calls. So the connector-level rule is the weakest of its write statements:
      // `idempotent` only when every write statement is declared idempotent by the owner, else
      // `unsafe`. Claiming more for one statement would let a crash silently repeat another.
      delivery: (config) => {
        const writes = Object.values(config.statements).filter((s) => s.mode === 'write');
        return writes.length > 0 && writes.every((s) => s.idempotent) ? 'idempotent' : 'unsafe';
      },
      sideEffect: true,
      input: callInput,
      render,
      run: async (call) => {
        const answer = await run(call, 'write');
        return { row_count: answer.row_count, rows: answer.rows, truncated: answer.truncated };
      },
    }),
  },
};
