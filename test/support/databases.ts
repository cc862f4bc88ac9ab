// Every store and engine test runs on both databases: embedded PGlite always, PostgreSQL when
// KEEL_TEST_DATABASE_URL is set (CI sets it). Each test database is new and dropped afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { listMigrations, openPglite, openPostgres, migrate, type Db } from '../../src/db/index.js';

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated database. */
  open(): Promise<Db>;
  /** The connection string of the last opened PostgreSQL database (for child processes). */
  url?: string;
}

const pgUrl = process.env.KEEL_TEST_DATABASE_URL;
let noticed = false;

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [{ name: 'pglite', open: openMemoryPglite }];
  if (pgUrl) list.push(postgresDatabase(pgUrl));
  else if (!noticed) {
    noticed = true;
    console.warn('NOTICE: KEEL_TEST_DATABASE_URL is not set; the PostgreSQL variants of the tests are skipped.');
  }
  return list;
}

// initdb takes seconds; a migrated database is built once, kept on disk keyed by the migrations'
// content (so a new migration makes a new template), and cloned for every test.
let template: Promise<Blob> | undefined;

async function buildTemplate(): Promise<Blob> {
  const hash = createHash('sha256').update(JSON.stringify(listMigrations())).digest('hex').slice(0, 16);
  const dir = join('node_modules', '.cache', 'keel');
  const file = join(dir, `pglite-template-${hash}.tar`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const db = await openPglite({ fsync: false });
  await migrate(db);
  await db.exec('CHECKPOINT');
  const blob = await db.dumpDataDir();
  await db.close();
  mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, Buffer.from(await blob.arrayBuffer()));
  renameSync(temp, file);
  return blob;
}

async function openMemoryPglite(): Promise<Db> {
  template ??= buildTemplate();
  return openPglite({ fsync: false, template: await template });
}

/** A migrated PGlite database in a new data folder (for child processes), cloned from the template. */
export async function openPgliteFolder(dataDir: string): Promise<Db> {
  template ??= buildTemplate();
  return openPglite({ dataDir, fsync: false, template: await template });
}

/** Creates an empty PostgreSQL database for one test and returns its URL; dropped by the returned function. */
export async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `keel_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

function postgresDatabase(baseUrl: string): TestDatabase {
  const entry: TestDatabase = {
    name: 'postgres',
    async open() {
      const created = await createPostgresDatabase(baseUrl);
      entry.url = created.url;
      const db = await openPostgres({ url: created.url, poolSize: 10 });
      await migrate(db);
      const close = db.close.bind(db);
      return Object.assign(db, {
        async close() {
          await close();
          await created.drop();
        },
      });
    },
  };
  return entry;
}

export const postgresTestUrl = pgUrl;
