// Fresh databases for one benchmark: a new PostgreSQL database on the local server (dropped after),
// or an embedded PGlite in a new folder under bench/.tmp (removed after).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { configSchema } from '../../src/config/index.js';
import { migrate, openPglite, openPostgres, type Db } from '../../src/db/index.js';

/** Keel's embedded default for database.fsync (what `keel serve` uses unless told otherwise). */
export const defaultPgliteFsync = configSchema.parse({}).database.fsync;

/** The local server the benchmarks use; only loopback. */
export const postgresBaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.KEEL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const repoDir = fileURLToPath(new URL('../..', import.meta.url));
export const tmpDir = join(benchDir, '.tmp');

export type DatabaseKind = 'postgres' | 'pglite';

export interface BenchDatabase {
  kind: DatabaseKind;
  db: Db;
  /** PostgreSQL connection string (child processes connect with it). */
  url?: string;
  /** PGlite data folder. */
  dataDir?: string;
  /** Closes the connection and removes the database. */
  dispose(): Promise<void>;
}

/** A new empty folder under bench/.tmp. */
export function tempFolder(prefix: string): string {
  const dir = join(tmpDir, `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Creates an empty PostgreSQL database; returns its URL and a function that drops it. */
export async function createPostgresDatabase(prefix = 'keel_bench'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresBaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresBaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: postgresBaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openBenchDatabase(kind: DatabaseKind, options: { poolSize?: number; fsync?: boolean } = {}): Promise<BenchDatabase> {
  if (kind === 'postgres') {
    const created = await createPostgresDatabase();
    const db = await openPostgres({ url: created.url, poolSize: options.poolSize ?? 10 });
    await migrate(db);
    return {
      kind, db, url: created.url,
      async dispose() {
        await db.close();
        await created.drop();
      },
    };
  }
  const dataDir = tempFolder('pglite');
  const db = await openPglite({ dataDir, fsync: options.fsync ?? defaultPgliteFsync });
  await migrate(db);
  return {
    kind, db, dataDir,
    async dispose() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Which databases to run on: BENCH_DATABASES=postgres,pglite (both by default). */
export function selectedDatabases(): DatabaseKind[] {
  const raw = process.env.BENCH_DATABASES;
  if (!raw) return ['postgres', 'pglite'];
  return raw.split(',').map((s) => s.trim()).filter((s): s is DatabaseKind => s === 'postgres' || s === 'pglite');
}
