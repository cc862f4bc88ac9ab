/** What a caller may do on a connection or inside a transaction. */
export interface Queryable {
  /** One parameterised statement. JSON values must be passed as JSON.stringify(...) with a ::jsonb cast. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

export interface QueryResult<T> {
  rows: T[];
  /** Rows changed by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number;
}

/**
 * What the database kind means for the code above it. Code checks these flags, never the driver name.
 * PGlite is one in-process connection; PostgreSQL is a pool shared by many processes.
 */
export interface DbCapabilities {
  kind: 'pglite' | 'postgres';
  /** Only one connection exists: work is serialised, and only this process can use the database. */
  singleConnection: boolean;
  /** Other processes may share the database, so leases, SKIP LOCKED and leader election matter. */
  multiProcess: boolean;
}

/** The one database port of Keel: PGlite and PostgreSQL both implement it. */
export interface Db extends Queryable {
  readonly caps: DbCapabilities;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction; any error rolls it back and is rethrown. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; the returned function unsubscribes. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Holds a session-level advisory lock while this process lives (leader election).
   * Returns a release function, or null when another process holds it.
   */
  tryLeaderLock(key: number): Promise<(() => Promise<void>) | null>;
  close(): Promise<void>;
}
