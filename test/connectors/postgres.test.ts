import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressClient } from '../../src/connectors/index.js';
import type { ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { placeholders, postgresKind } from '../../src/connectors/kinds/postgres.js';
import { KeelError } from '../../src/errors.js';
import { createPostgresDatabase, postgresTestUrl } from '../support/databases.js';

// The `postgres` kind against the machine's real PostgreSQL, on a database made for this file and
// dropped afterwards. Without KEEL_TEST_DATABASE_URL the database tests are skipped, visibly.

if (!postgresTestUrl) console.warn('NOTICE: KEEL_TEST_DATABASE_URL is not set; the postgres connector tests are skipped.');

const statements = {
  customers_in_region: { sql: 'SELECT id, name, joined_at FROM customers WHERE region = $1 ORDER BY id', mode: 'read' },
  numbers: { sql: 'SELECT g AS n FROM generate_series(1, $1::int) AS g', mode: 'read' },
  sneaky_insert: { sql: "INSERT INTO notes (body) VALUES ('from a read')", mode: 'read' },
  sneaky_commit: { sql: "COMMIT; INSERT INTO notes (body) VALUES ('escaped')", mode: 'read' },
  slow: { sql: 'SELECT pg_sleep($1::float) AS slept', mode: 'read' },
  add_note: { sql: 'INSERT INTO notes (body) VALUES ($1) RETURNING id, body', mode: 'write', description: 'one note' },
  record_intent: {
    sql: 'INSERT INTO intents (intent, ticket, idempotency_key) VALUES ($1, $2, $3) ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key',
    mode: 'write',
    idempotent: true,
    idempotency_param: 3,
  },
};

function configWith(overrides: Record<string, unknown> = {}): ReturnType<typeof postgresKind.config.parse> {
  return postgresKind.config.parse({ url_secret: 'db_url', statements, ...overrides });
}

function contextFor(url: string, options: { key?: string; signal?: AbortSignal } = {}): ConnectorContext {
  const secrets = new Map([['db_url', url]]);
  return {
    async secret(name) {
      const value = secrets.get(name);
      if (value === undefined) throw new KeelError('misconfigured', `secret ${name} is not set`);
      return value;
    },
    egress: createEgressClient(),
    idempotencyKey: options.key ?? 'run-1:record:1',
    signal: options.signal ?? new AbortController().signal,
  };
}

async function call(action: 'query' | 'execute', url: string, input: unknown, config = configWith(), key?: string, signal?: AbortSignal) {
  const found = postgresKind.actions[action];
  if (!found) throw new Error(`no action ${action}`);
  return (await found.run({ config, input: found.input.parse(input), context: contextFor(url, { key, signal }) })) as Record<string, unknown>;
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe('postgres connector: config', () => {
  it('finds $n placeholders but not those inside literals, quoted names, comments or dollar quotes', () => {
    const sql = `SELECT $1, '$9', E'it\\'s $8', "col$7", $$ $6 $$, $tag$ $5 $tag$ -- $4\n /* $3 /* nested */ $3 */ $2, a$10`;
    expect([...placeholders(sql)].sort()).toEqual([1, 2]);
  });

  it('refuses gaps in the parameters and an idempotency parameter the SQL does not use', () => {
    const parsed = postgresKind.config.safeParse({
      url_secret: 'db_url',
      statements: {
        gap: { sql: 'SELECT $1, $3', mode: 'read' },
        key: { sql: 'INSERT INTO t VALUES ($1)', mode: 'write', idempotency_param: 2 },
        readkey: { sql: 'SELECT $1', mode: 'read', idempotent: true },
      },
    });
    const messages = parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(messages).toEqual([
      'statements.gap.sql: uses $3 but not $2; number parameters without gaps',
      'statements.key.idempotency_param: $2 does not appear in the sql',
      'statements.readkey.mode: idempotent and idempotency_param are for write statements',
    ]);
  });

  it('declares execute idempotent only when every write statement is', () => {
    const execute = postgresKind.actions.execute;
    expect(execute?.delivery).toBeTypeOf('function');
    const delivery = execute?.delivery as (config: unknown) => string;
    expect(delivery(configWith())).toBe('unsafe');
    expect(delivery(configWith({ statements: { record_intent: statements.record_intent } }))).toBe('idempotent');
    expect(postgresKind.actions.query?.delivery).toBe('idempotent');
    expect(postgresKind.secretNames(configWith())).toEqual(['db_url']);
  });

  it('renders the statement name, its SQL and the parameters, with the key marked', () => {
    const execute = postgresKind.actions.execute;
    if (!execute) throw new Error('no execute');
    const rendered = execute.render(configWith(), execute.input.parse({ statement: 'record_intent', params: ['refund', 'T-1'] }));
    expect(rendered).toEqual({
      statement: 'record_intent',
      mode: 'write',
      sql: statements.record_intent.sql,
      params: ['refund', 'T-1', '<the run idempotency key>'],
    });
  });

  it('refuses unknown statements, the wrong action for a mode and a wrong parameter count before connecting', async () => {
    const nowhere = 'postgres://nobody:pw@127.0.0.1:1/none';
    const unknown = await failure(call('query', nowhere, { statement: 'drop_everything', params: [] }));
    expect(unknown.code).toBe('invalid_input');
    expect(unknown.message).toContain('add_note, customers_in_region, numbers, record_intent, slow, sneaky_commit, sneaky_insert');
    const writeThroughQuery = await failure(call('query', nowhere, { statement: 'add_note', params: ['x'] }));
    expect(writeThroughQuery.code).toBe('invalid_input');
    expect(writeThroughQuery.message).toContain('"add_note" is a write statement; call it with execute');
    const readThroughExecute = await failure(call('execute', nowhere, { statement: 'numbers', params: [1] }));
    expect(readThroughExecute.message).toContain('"numbers" is a read statement; call it with query');
    const count = await failure(call('execute', nowhere, { statement: 'record_intent', params: ['only one'] }));
    expect(count.message).toContain('takes 2 parameter(s) ($3 is the idempotency key, filled in by Keel); got 1');
    expect(await failure(call('query', nowhere, { statement: 'constructor', params: [] }))).toMatchObject({ code: 'invalid_input' });
  });
});

describe.skipIf(!postgresTestUrl)('postgres connector: on a real database', () => {
  let url = '';
  let drop: () => Promise<void> = async () => undefined;

  async function sql(text: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase(postgresTestUrl as string));
    await sql(`
      CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, region text NOT NULL, joined_at timestamptz NOT NULL);
      INSERT INTO customers VALUES (1, 'Ada', 'eu', '2024-01-02T03:04:05Z'), (2, 'Bo', 'us', now()), (3, 'Cy', 'eu', now());
      CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
      CREATE TABLE intents (intent text NOT NULL, ticket text NOT NULL, idempotency_key text PRIMARY KEY);
    `);
  });

  afterAll(async () => {
    await drop();
  });

  it('runs a read statement with parameters and answers JSON rows', async () => {
    const out = await call('query', url, { statement: 'customers_in_region', params: ['eu'] });
    expect(out).toMatchObject({ row_count: 2, truncated: false });
    expect(out.rows).toEqual([
      { id: 1, name: 'Ada', joined_at: '2024-01-02T03:04:05.000Z' },
      { id: 3, name: 'Cy', joined_at: expect.any(String) },
    ]);
  });

  it('drops rows beyond max_rows and says so', async () => {
    const config = configWith({ max_rows: 3 });
    const cut = await call('query', url, { statement: 'numbers', params: [10] }, config);
    expect(cut).toEqual({ rows: [{ n: 1 }, { n: 2 }, { n: 3 }], row_count: 10, truncated: true });
    const exact = await call('query', url, { statement: 'numbers', params: [3] }, config);
    expect(exact).toMatchObject({ row_count: 3, truncated: false });
  });

  it('lets the read-only transaction stop a write hidden in a read statement', async () => {
    const insert = await failure(call('query', url, { statement: 'sneaky_insert', params: [] }));
    expect(insert.code).toBe('misconfigured');
    expect(insert.details).toMatchObject({ sqlstate: '25006' });
    const commit = await failure(call('query', url, { statement: 'sneaky_commit', params: [] }));
    expect(commit.code).toBe('misconfigured');
    expect((await sql('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 0 });
  });

  it('executes a write statement and answers its RETURNING rows', async () => {
    const out = await call('execute', url, { statement: 'add_note', params: ['hello'] });
    expect(out).toMatchObject({ row_count: 1, rows: [{ id: expect.any(Number), body: 'hello' }], truncated: false });
    expect((await sql("SELECT body FROM notes WHERE body = 'hello'")).rowCount).toBe(1);
  });

  it('passes the idempotency key as the declared parameter, so a repeat changes nothing', async () => {
    const input = { statement: 'record_intent', params: ['refund', 'T-42'] };
    const first = await call('execute', url, input, configWith(), 'run-7:record:1');
    expect(first).toMatchObject({ row_count: 1, rows: [{ idempotency_key: 'run-7:record:1' }] });
    const repeat = await call('execute', url, input, configWith(), 'run-7:record:1');
    expect(repeat).toMatchObject({ row_count: 0, rows: [] });
    const stored = await sql('SELECT intent, ticket, idempotency_key FROM intents');
    expect(stored.rows).toEqual([{ intent: 'refund', ticket: 'T-42', idempotency_key: 'run-7:record:1' }]);
  });

  it('cancels a statement that runs past statement_timeout_ms', async () => {
    const error = await failure(call('query', url, { statement: 'slow', params: [5] }, configWith({ statement_timeout_ms: 200 })));
    expect(error.code).toBe('step_timeout');
    expect(error.message).toContain('200 ms');
  });

  it('stops when the call is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await failure(call('query', url, { statement: 'slow', params: [5] }, configWith(), undefined, controller.signal));
    expect(error.code).toBe('action_failed');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('keeps the password and the URL out of a failed login', async () => {
    const target = new URL(url);
    target.username = 'no_such_role';
    target.password = 'Pa55-canary-secret';
    const error = await failure(call('query', target.toString(), { statement: 'numbers', params: [1] }));
    expect(error.code).toBe('misconfigured');
    expect(error.hint).toContain('db_url');
    const everything = JSON.stringify({ message: error.message, hint: error.hint, details: error.details, cause: String(error.cause) });
    expect(everything).not.toContain('Pa55-canary-secret');
    expect(everything).not.toContain(target.toString());
  });
});

/** A loopback stand-in for a PostgreSQL server: answers the first message (startup) and the second. */
async function standIn(replies: { startup: Buffer; second?: (data: Buffer) => Buffer }): Promise<{ url: (userinfo: string) => string; close: () => void }> {
  const server = net.createServer((socket) => {
    let messages = 0;
    socket.on('data', (data) => {
      messages++;
      if (messages === 1) socket.write(replies.startup);
      else if (messages === 2 && replies.second) socket.end(replies.second(data));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (userinfo) => `postgres://${userinfo}@127.0.0.1:${port}/db`,
    close: () => {
      server.close();
    },
  };
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

describe('postgres connector: against a stand-in server', () => {
  // This machine's PostgreSQL trusts every login, so the stand-in asks for the password in clear
  // text and answers with an error that repeats it: the connector must redact it.
  it('redacts a password that the server repeats in its error', async () => {
    const server = await standIn({
      startup: message('R', Buffer.from([0, 0, 0, 3])), // AuthenticationCleartextPassword
      second: (data) => {
        const password = data.subarray(5, data.length - 1).toString();
        return message('E', Buffer.from(`SFATAL\0C28P01\0Mpassword authentication failed: got ${password}\0\0`));
      },
    });
    try {
      const error = await failure(call('query', server.url('keel:s3cr%40t-canary'), { statement: 'numbers', params: [1] }));
      expect(error.code).toBe('misconfigured');
      expect(error.message).toContain('password authentication failed: got [redacted]');
      expect(`${error.message} ${String(error.cause)}`).not.toMatch(/s3cr(%40|@)t-canary/);
    } finally {
      server.close();
    }
  });

  it('gives up on a server that logs in and then never answers', async () => {
    const server = await standIn({ startup: Buffer.concat([message('R', Buffer.from([0, 0, 0, 0])), message('Z', Buffer.from('I'))]) });
    try {
      const config = configWith({ connect_timeout_ms: 100, statement_timeout_ms: 100 });
      const error = await failure(call('query', server.url('keel'), { statement: 'numbers', params: [1] }, config));
      expect(error.code).toBe('step_timeout');
      expect(error.message).toContain('stopped answering');
    } finally {
      server.close();
    }
  });
});
