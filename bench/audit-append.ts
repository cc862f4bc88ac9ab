// Audit append: 8 concurrent writers (each its own connection from the pool), each appending
// events one transaction at a time through recordAudit, on a fresh database per pass. Passes: one
// event per transaction; the realistic case, an event in a transaction that also inserts one row;
// and, for comparison on PostgreSQL, the design first suggested for the chain (the writer locks the
// head and links its own event in its transaction: bench-only SQL). After each pass the pending
// events are linked and the whole chain is verified. PGlite for reference.
import { linkAuditChain, recordAudit, verifyAuditChain } from '../src/audit/index.js';
import type { Db, Queryable } from '../src/db/index.js';
import { canonicalJson } from '../src/spec/index.js';
import { cpuWindow, type CpuUse } from './lib/cpu.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, rate, summarize, type Summary } from './lib/stats.js';

const writers = 8;
const pgEvents = Number(process.env.BENCH_AUDIT_EVENTS ?? 20_000);
const pgliteEvents = Number(process.env.BENCH_AUDIT_PGLITE_EVENTS ?? 4_000);
const aim = 2_000;

type Variant = 'event' | 'event + insert' | 'head locked in the writer';

interface Pass {
  kind: DatabaseKind;
  variant: Variant;
  events: number;
  wallMs: number;
  perSec: number;
  latency: Summary;
  /** Events still pending when the writers finished (linked afterwards by a reader). */
  pendingAfter: number;
  linkMs: number;
  verifyMs: number;
  ok: boolean;
  checked: number;
  walSyncsPerEvent?: number;
  cpu: CpuUse;
}

/** The design first suggested: lock the head and link the event in the writer's own transaction. */
async function appendHeadLocked(tx: Queryable, w: number, i: number): Promise<void> {
  const at = new Date();
  const fields = { actor: `writer${w}`, action: 'thing:changed', subject_type: 'thing', subject_id: `${w}-${i}`, before: null, after: { i }, data: {}, request_id: null, at: at.toISOString() };
  await tx.query(
    `WITH link AS (
       UPDATE audit_chain SET seq = seq + 1, prev_hash = head_hash, linked_at = clock_timestamp(),
         head_hash = encode(sha256(convert_to(head_hash || E'\\n' || (seq + 1)::text || E'\\n' || $6, 'UTF8')), 'hex')
       WHERE id = 1 RETURNING seq, prev_hash, head_hash
     )
     INSERT INTO audit_events (seq, prev_hash, hash, actor, action, subject_type, subject_id, after, body, created_at)
     SELECT seq, prev_hash, head_hash, $1, $2, $3, $4, $5::jsonb, $6, $7 FROM link`,
    [fields.actor, fields.action, fields.subject_type, fields.subject_id, JSON.stringify(fields.after), canonicalJson(fields), at],
  );
}

async function walSyncs(db: Db): Promise<number | undefined> {
  if (db.caps.kind !== 'postgres') return undefined;
  return (await db.query<{ n: number }>(`SELECT wal_sync::float8 AS n FROM pg_stat_wal`)).rows[0]?.n;
}

async function pass(kind: DatabaseKind, variant: Variant, events: number): Promise<Pass> {
  const bench = await openBenchDatabase(kind, { poolSize: writers + 2 });
  const { db } = bench;
  try {
    await db.query('CREATE TABLE bench_things (id bigserial PRIMARY KEY, writer int NOT NULL, n int NOT NULL)');
    // The head-locked design writes seq and hashes itself, which the append-only trigger refuses.
    if (variant === 'head locked in the writer') await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    const one = async (w: number, i: number) => {
      await db.transaction(async (tx) => {
        if (variant === 'head locked in the writer') return appendHeadLocked(tx, w, i);
        if (variant === 'event + insert') await tx.query('INSERT INTO bench_things (writer, n) VALUES ($1, $2)', [w, i]);
        await recordAudit(tx, { actor: `writer${w}`, action: 'thing:changed', subjectType: 'thing', subjectId: `${w}-${i}`, before: { n: i - 1 }, after: { n: i } });
      });
    };
    // Warm up the pool and the plans.
    await Promise.all(Array.from({ length: writers }, (_, w) => one(w, -1)));
    await linkAuditChain(db);
    const perWriter = Math.ceil(events / writers);
    const latencies: number[] = [];
    const wal0 = await walSyncs(db);
    const window = cpuWindow({}, bench.url);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const s = performance.now();
        await one(w, i);
        latencies.push(performance.now() - s);
      }
    }));
    const wallMs = performance.now() - t0;
    const cpu = await window.end();
    const wal1 = await walSyncs(db);
    const pendingAfter = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL')).rows[0]!.n;
    if (variant === 'head locked in the writer') await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    const l0 = performance.now();
    await linkAuditChain(db);
    const linkMs = performance.now() - l0;
    const v0 = performance.now();
    const verdict = await verifyAuditChain(db);
    const verifyMs = performance.now() - v0;
    const total = perWriter * writers;
    const expected = total + writers;
    return {
      kind, variant, events: total, wallMs, perSec: total / (wallMs / 1000), latency: summarize(latencies), pendingAfter, linkMs, verifyMs,
      ok: verdict.ok && verdict.checked === expected, checked: verdict.checked,
      walSyncsPerEvent: wal0 === undefined || wal1 === undefined ? undefined : (wal1 - wal0) / total, cpu,
    };
  } finally {
    await bench.dispose();
  }
}

const began = Date.now();
const background = await waitForQuiet();
const passes: Pass[] = [];
for (const kind of selectedDatabases()) {
  const variants: Variant[] = kind === 'postgres' ? ['event', 'event + insert', 'head locked in the writer'] : ['event', 'event + insert'];
  for (const variant of variants) {
    const p = await pass(kind, variant, kind === 'postgres' ? pgEvents : pgliteEvents);
    console.log(`${kind} ${variant}: ${p.perSec.toFixed(0)} events/s, verify ${p.ok ? 'ok' : 'FAILED'} (${p.checked}) in ${p.verifyMs.toFixed(0)} ms`);
    passes.push(p);
  }
}

const target = 'Audit append';
const figures: Figure[] = [];
for (const p of passes) {
  const setting = `${writers} writers (${p.kind === 'postgres' ? 'own connections' : 'sharing the one connection'}), ${p.events} events, ${p.variant === 'event' ? 'one event per transaction' : p.variant === 'event + insert' ? 'one event + one insert per transaction' : 'one event per transaction'}`;
  if (p.variant === 'head locked in the writer') {
    figures.push({ target, database: p.kind, metric: 'for comparison: writer locks the head in its transaction', value: rate(p.perSec, 'events/s'), aim: '', met: null, setting });
    continue;
  }
  const isAim = p.kind === 'postgres';
  figures.push({
    target, database: p.kind, metric: p.variant === 'event' ? 'append, one event per transaction' : 'append, event + one insert per transaction',
    value: rate(p.perSec, 'events/s'), aim: isAim ? `>= ${aim.toLocaleString('en')} events/s` : '', met: isAim ? p.perSec >= aim : null, setting,
  });
  if (p.variant === 'event') {
    figures.push({ target, database: p.kind, metric: 'chain verified after', value: `${p.ok ? 'ok' : 'BROKEN'}: ${p.checked} events in ${ms(p.verifyMs)}`, aim: isAim ? 'ok' : '', met: isAim ? p.ok : null, setting });
  }
}
const details = [
  table(['database', 'variant', 'events', 'events/s', 'transaction p50 / p99', 'pending when writers ended', 'link after', 'verify after', 'WAL syncs per event', 'CPU % of a core: machine / postgres (this db) / bench / other'],
    passes.map((p) => [
      p.kind, p.variant, p.events, rate(p.perSec, ''), `${ms(p.latency.p50)} / ${ms(p.latency.p99)}`, p.pendingAfter, ms(p.linkMs),
      `${p.ok ? 'ok' : 'BROKEN'}, ${p.checked} events, ${ms(p.verifyMs)}`, p.walSyncsPerEvent === undefined ? 'n/a' : p.walSyncsPerEvent.toFixed(2),
      `${p.cpu.machineBusyPct} / ${p.kind === 'postgres' ? p.cpu.postgresOwnPct : 'in bench'} / ${p.cpu.benchPct} / ${p.cpu.otherPct}`,
    ])),
  '',
  'Keel\'s writers only INSERT (seq, prev_hash and hash empty); the head holder links pending events in id order afterwards (a writer in passing when nothing was linked for 250 ms, or a reader). "head locked in the writer" is the design first suggested, bench-only SQL: each writer locks the head row and links its own event inside its transaction, so commits (and their WAL flushes) queue one behind another. Verify counts the 8 warm-up events too.',
].join('\n');
saveResult({
  name: 'audit-append', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details,
  backgroundBusyPct: background, otherDuringPct: Math.max(...passes.map((p) => p.cpu.otherPct)),
});
