import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-lock.js';
import type { Db, Queryable, QueryResult } from './port.js';

export interface PgliteOptions {
  /** Folder of the data files; undefined keeps the database in memory (tests). */
  dataDir?: string;
  /** PGlite's fsync does not reach the kernel's fsync(2); off is only for throwaway databases. */
  fsync: boolean;
  /** A dumped data folder to start from instead of running initdb (tests and benchmarks clone one). */
  template?: Blob;
  /**
   * Load the pgvector extension (vector similarity for library search). Loading it only makes it
   * available; the library installs it (CREATE EXTENSION) the first time it searches by vector.
   */
  vector?: boolean;
}

/**
 * Embedded Postgres in this process. Memory settings are lowered from PGlite's defaults because the
 * embedded default must idle in little memory; see bench/RESULTS.md.
 */
export async function openPglite(options: PgliteOptions): Promise<Db & { dumpDataDir(): Promise<Blob> }> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  let pg: PGlite;
  try {
    const extensions = options.vector ? { vector: (await import('@electric-sql/pglite-pgvector')).vector } : undefined;
    pg = await PGlite.create({
      dataDir: options.dataDir,
      extensions,
      loadDataDir: options.template,
      relaxedDurability: !options.fsync,
      startParams: pgliteStartParams(options.fsync),
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const asQueryable = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const base = asQueryable(pg);
  return {
    caps: { kind: 'pglite', singleConnection: true, multiProcess: false },
    query: base.query,
    async exec(sql) {
      await pg.exec(sql);
    },
    transaction(fn) {
      return pg.transaction((tx) => fn(asQueryable(tx)));
    },
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return () => unlisten();
    },
    // One process owns the embedded database, so it is always the leader.
    async tryLeaderLock() {
      return async () => {};
    },
    async close() {
      if (!pg.closed) await pg.close();
      unlock();
    },
    // Not on the port: only tests and benchmarks clone a migrated database.
    dumpDataDir: () => pg.dumpDataDir('none'),
  };
}

function pgliteStartParams(fsync: boolean): string[] {
  // PGlite's own defaults, with -F (fsync off) kept only when fsync is not asked for.
  const defaults = PGlite.defaultStartParams.filter((p) => fsync ? p !== '-F' : true);
  return [
    ...defaults,
    '-c', `fsync=${fsync ? 'on' : 'off'}`,
    // Always on: PGlite has no WAL writer process, so with it off a killed process loses commits it
    // had acknowledged (measured: 0 of 50 rows kept; on: 50 of 50).
    '-c', 'synchronous_commit=on',
    '-c', 'shared_buffers=16MB',
    '-c', 'work_mem=4MB',
    '-c', 'maintenance_work_mem=16MB',
    '-c', 'wal_buffers=1MB',
  ];
}
