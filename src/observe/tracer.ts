// The tracer turns what runs did into spans and rollups, after the fact: it walks the runs changed
// since its cursor (updated_at, id) and writes the spans of their finished work (ids derived from
// the rows, so seeing a run again writes nothing new). What a span newly stored describes (a model
// call's tokens, a step's features, and through its root span a run's end) is added to the rollups
// in the same transaction, so each counts once. The engine's hot path stays as it was; spans lag by about a tick.
import type { Db, Queryable } from '../db/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import { createLeaderLoop, type LeaderLoop } from './leader-loop.js';
import { redactionSection, type RedactionConfig } from '../config/index.js';
import { getVersionById } from '../registry/index.js';
import { createRedactor } from './redaction.js';
import { addToRollups, type RunFacts } from './rollup.js';
import { readChangedRuns, type RunRows } from './run-rows.js';
import { callFacts, endFacts, stepFacts } from './run-facts.js';
import { runSpans, terminalRunStatuses } from './run-spans.js';
import { insertNewSpans, spanKey } from './span-store.js';
import { keelSpanId, runTraceId, type SpanRecord } from './span.js';

const tracerLockKey = 7_346_005;
const cursorName = 'tracer';

export interface TracerOptions {
  db: Db;
  /** What is masked before spans are stored, and whether payloads are kept (observe.redaction); the defaults when absent. */
  redaction?: RedactionConfig;
  /** How often the loop looks for changed runs (observe.tracer.tickMs); 1 s when absent. */
  tickMs?: number;
  /** Runs read per pass (observe.tracer.batch); 200 when absent. */
  batch?: number;
  /**
   * Changes younger than this are left for the next pass: a transaction that began before the
   * cursor moved but committed after would otherwise be skipped. Engine writes are one statement
   * each, so the default of two seconds is ample; tests that drain by hand pass 0.
   */
  settleMs?: number;
  /** A version's definition; the registry's stored version when absent. */
  loadSpec?(versionId: string): Promise<WorkflowSpec | undefined>;
  /**
   * Now, for the hours runs count in: a run counts in the hour it ended, moved by however far this
   * clock is from the real one (tests run a fake clock to place traffic in the past).
   */
  clock?: () => Date;
  onError(message: string, error: unknown): void;
}

export interface Tracer extends LeaderLoop {
  /** One pass over at most `batch` changed runs; returns how many runs it read. */
  pass(): Promise<number>;
  /** Passes until no settled change is left (tests, and after a restart). */
  drain(): Promise<number>;
}

interface Cursor { at: string; id: string }

async function loadCursor(db: Queryable): Promise<Cursor | null> {
  const r = await db.query<{ position_at: string | null; position_key: string | null }>(
    `SELECT position_at::text AS position_at, position_key FROM observe_cursors WHERE name = $1`, [cursorName],
  );
  const row = r.rows[0];
  return row?.position_at ? { at: row.position_at, id: row.position_key ?? '' } : null;
}

async function saveCursor(db: Queryable, cursor: Cursor): Promise<void> {
  await db.query(
    `INSERT INTO observe_cursors (name, position_at, position_key) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET position_at = excluded.position_at, position_key = excluded.position_key, updated_at = now()`,
    [cursorName, cursor.at, cursor.id],
  );
}

export function createTracer(options: TracerOptions): Tracer {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  const redaction = options.redaction ?? redactionSection.parse({});
  const spanOptions = { redactor: createRedactor(redaction), payloads: redaction.payloads };
  const batch = options.batch ?? 200;
  const settleMs = options.settleMs ?? 2_000;
  const loadSpec = options.loadSpec ?? (async (versionId: string) => (await getVersionById(db, versionId)).definition);

  async function pass(): Promise<number> {
    const skewMs = clock().getTime() - Date.now();
    return db.transaction(async (tx) => {
      const cursor = await loadCursor(tx);
      const until = (await tx.query<{ until: Date }>(`SELECT now() - $1 * interval '1 millisecond' AS until`, [settleMs])).rows[0]!.until;
      const rows = await readChangedRuns(tx, cursor, until, batch);
      if (rows.runs.length === 0) return 0;
      await writeRuns(tx, rows, skewMs);
      const last = rows.runs[rows.runs.length - 1]!;
      await saveCursor(tx, { at: last.updated_key, id: last.id });
      return rows.runs.length;
    });
  }

  async function writeRuns(tx: Queryable, rows: RunRows, skewMs: number): Promise<void> {
    const shifted = (at: Date) => new Date(at.getTime() + skewMs);
    const spans: SpanRecord[] = [];
    const pending: Array<{ key: string; facts: () => RunFacts | null }> = [];
    for (const run of rows.runs) {
      const spec = await loadSpec(run.version_id);
      const own = { attempts: rows.attempts.get(run.id) ?? [], modelCalls: rows.modelCalls.get(run.id) ?? [], reviews: rows.reviews.get(run.id) ?? [] };
      spans.push(...runSpans(run, own, spec, spanOptions));
      // What a span describes counts once, when the span is first stored: a model call its usage,
      // a step its features, and the run's root span (written once the run has ended) its end.
      const trace = runTraceId(run.id);
      for (const call of own.modelCalls) {
        pending.push({ key: spanKey(trace, keelSpanId('model_call', call.id)), facts: () => callFacts(run, call, shifted(call.created_at)) });
      }
      for (const attempt of own.attempts) {
        pending.push({ key: spanKey(trace, keelSpanId('attempt', attempt.id)), facts: () => stepFacts(run, attempt, own.modelCalls, spec, shifted(attempt.finished_at)) });
      }
      if (terminalRunStatuses.has(run.status) && run.finished_at) {
        const finished = run.finished_at;
        pending.push({ key: spanKey(trace, keelSpanId('run', run.id)), facts: () => endFacts(run, own.reviews, shifted(finished)) });
      }
    }
    const fresh = await insertNewSpans(tx, spans);
    const facts = pending.filter((p) => fresh.has(p.key)).map((p) => p.facts()).filter((f): f is RunFacts => f !== null);
    await addToRollups(tx, facts);
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await pass();
      total += n;
      if (n < batch) return total;
    }
  }

  const loop = createLeaderLoop({ db, lockKey: tracerLockKey, tickMs: options.tickMs ?? 1_000, name: 'tracer pass', tick: drain, onError: options.onError });
  return { ...loop, pass, drain };
}
