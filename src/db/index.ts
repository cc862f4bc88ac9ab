// The database: one port (query, exec, transaction, listen, leader lock) over embedded PGlite or
// PostgreSQL, and the forward-only numbered SQL migrations that run on both.
import type { Config } from '../config/index.js';
import type { Db } from './port.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type { Db, Queryable, QueryResult, DbCapabilities } from './port.js';
export { migrate, listMigrations } from './migrate.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { createImmutableCache } from './immutable-cache.js';

/** Opens the database the configuration names: PostgreSQL when a URL is set, else embedded PGlite. */
export function openDb(config: Pick<Config, 'database'> & Partial<Pick<Config, 'retrieval'>>): Promise<Db> {
  const { url, dataDir, fsync, poolSize } = config.database;
  // pgvector is loaded into PGlite only when similarity search can be used: it costs start time and memory.
  return url ? openPostgres({ url, poolSize }) : openPglite({ dataDir, fsync, vector: config.retrieval?.embeddingModel !== undefined });
}
