import pg from 'pg';
import type { Db, Queryable, QueryResult } from './port.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
}

// int8 (counts, bigserial ids) as numbers, as PGlite returns them, so callers see one shape.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** PostgreSQL through a pool; NOTIFY delivery and the leader lock each hold one dedicated client. */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types });
  // An idle client that errors (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  const asQueryable = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const r = await q.query(sql, params as unknown[] | undefined);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
  });
  const base = asQueryable(pool);
  let listener: pg.Client | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const held: pg.Client[] = [];

  async function listenerClient(): Promise<pg.Client> {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: options.url, types });
    client.on('error', () => {});
    await client.connect();
    client.on('notification', (n) => {
      for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
    });
    listener = client;
    return client;
  }

  return {
    caps: { kind: 'postgres', singleConnection: false, multiProcess: true },
    query: base.query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(asQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      const client = await listenerClient();
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async tryLeaderLock(key) {
      const client = new pg.Client({ connectionString: options.url, types });
      client.on('error', () => {});
      await client.connect();
      const r = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      if (!r.rows[0]?.locked) {
        await client.end();
        return null;
      }
      held.push(client);
      // The lock lives as long as this session; ending the session releases it.
      return async () => {
        held.splice(held.indexOf(client), 1);
        await client.end().catch(() => {});
      };
    },
    async close() {
      for (const c of held.splice(0)) await c.end().catch(() => {});
      if (listener) await listener.end().catch(() => {});
      await pool.end();
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid channel name ${name}`);
  return name;
}
