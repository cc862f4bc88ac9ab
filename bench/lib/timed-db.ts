// Wraps the Db port to time every statement from the caller's side (queueing for a pooled
// connection or PGlite's single connection included). Statements are grouped by a short label so
// a report can say which one takes the time; observers see each statement's params and timing.
import type { Db, Queryable, QueryResult } from '../../src/db/index.js';
import { summarize, type Summary } from './stats.js';

export interface StatementEvent {
  label: string;
  sql: string;
  params: readonly unknown[] | undefined;
  start: number;
  end: number;
  inTransaction: boolean;
}

export interface StatementStats extends Summary {
  label: string;
  totalMs: number;
}

/** A short, stable name for a statement: its first words, whitespace collapsed. */
export const labels = {
  claim: 'claim runs (UPDATE ... FOR UPDATE SKIP LOCKED)',
  complete: 'complete step (fenced UPDATE runs + INSERT attempt)',
  lastAttempt: 'last attempt of step (SELECT step_attempts)',
  history: 'step history of the run (SELECT step_attempts, once per claim)',
} as const;

/** Statements the executor sends right before a run's first step (whichever this engine version uses). */
export const stepLookupLabels: readonly string[] = [labels.history, labels.lastAttempt];

export function statementLabel(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const known: Array<[RegExp, string]> = [
    [/^WITH next AS \( SELECT id FROM runs/, 'claim runs (UPDATE ... FOR UPDATE SKIP LOCKED)'],
    [/^WITH fence AS \(UPDATE runs SET state = state \|\|/, 'complete step (fenced UPDATE runs + INSERT attempt)'],
    [/^SELECT \* FROM step_attempts WHERE run_id = \$1 AND step_id = \$2/, 'last attempt of step (SELECT step_attempts)'],
    [/^SELECT DISTINCT ON \(step_id\) \* FROM step_attempts WHERE run_id = \$1/, 'step history of the run (SELECT step_attempts, once per claim)'],
    [/^SELECT least\(/, 'next ready time (idle worker)'],
    [/^(WITH created AS \( )?INSERT INTO runs/, 'insert run (+ NOTIFY)'],
    [/^SELECT pg_notify/, 'notify workers'],
    [/^SELECT w\.\*, d\.version_id/, 'resolve deployment'],
    [/^UPDATE runs SET lease_expires_at/, 'renew lease'],
  ];
  for (const [pattern, label] of known) if (pattern.test(flat)) return label;
  return flat.length > 70 ? `${flat.slice(0, 70)}...` : flat;
}

export interface TimedDb extends Db {
  /** Per-label timings since the last reset, slowest total first. */
  report(): StatementStats[];
  reset(): void;
  /** Called after every statement (used to mark step boundaries with high resolution). */
  observe(fn: (event: StatementEvent) => void): void;
}

export function timeDb(inner: Db): TimedDb {
  let samples = new Map<string, number[]>();
  const observers: Array<(e: StatementEvent) => void> = [];

  function wrap(q: Queryable, inTransaction: boolean): Queryable {
    return {
      async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
        const start = performance.now();
        try {
          return await q.query<T>(sql, params);
        } finally {
          const end = performance.now();
          const label = statementLabel(sql);
          let list = samples.get(label);
          if (!list) samples.set(label, (list = []));
          list.push(end - start);
          for (const o of observers) o({ label, sql, params, start, end, inTransaction });
        }
      },
    };
  }

  const base = wrap(inner, false);
  return {
    caps: inner.caps,
    query: base.query,
    exec: (sql) => inner.exec(sql),
    async transaction(fn) {
      const start = performance.now();
      try {
        return await inner.transaction((tx) => fn(wrap(tx, true)));
      } finally {
        let list = samples.get('transaction (BEGIN..COMMIT, whole)');
        if (!list) samples.set('transaction (BEGIN..COMMIT, whole)', (list = []));
        list.push(performance.now() - start);
      }
    },
    listen: (channel, onNotify) => inner.listen(channel, onNotify),
    tryLeaderLock: (key) => inner.tryLeaderLock(key),
    close: () => inner.close(),
    report() {
      return [...samples.entries()]
        .map(([label, values]) => ({ label, totalMs: values.reduce((s, v) => s + v, 0), ...summarize(values) }))
        .sort((a, b) => b.totalMs - a.totalMs);
    },
    reset() {
      samples = new Map();
    },
    observe(fn) {
      observers.push(fn);
    },
  };
}
