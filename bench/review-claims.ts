// Review queue claims on PostgreSQL: a dedicated database holding 1,000,000 pending external review
// tasks (no runs: run_id and step_id NULL), claimed by N concurrent people, each in a loop of
// claimNextReview (the real one: the UPDATE ... FOR UPDATE SKIP LOCKED plus its hash-chained audit
// event) and a decision of the claimed task (decideReview when it takes an external task). Measured:
// - claim latency p50/p95/p99 and claims/s with 1 (context), 4, then 16 claimers;
// - the same claim without its audit event, for comparison only: the very UPDATE claimNextReview
//   issues (captured from it, same parameters) in a transaction of its own, alone (autocommit), and
//   alone as a named prepared statement. The variants run in interleaved slices, rounds in rotated
//   order, each round on a just-vacuumed table, so load from other work on the shared machine and
//   the dead entries a slice leaves fall on every variant alike;
// - after 250,000 more decisions have churned the table (bulk SQL: a claim then a decision per task,
//   most urgent first, as the claimers would) with autovacuum working: claims/s with 4 claimers
//   again; then once more at the worst point of autovacuum's cycle (dead tuples just under its
//   threshold);
// - the plan of the claim (EXPLAIN ANALYZE, BUFFERS, rolled back) fresh, after the churn, at the worst point.
// The server on this machine runs with autovacuum=off (a shared test server); then the benchmark plays
// the autovacuum launcher for its own database with the server's autovacuum settings (thresholds,
// naptime, cost-based throttle); see the "Autovacuum" note in the results.
//   npx tsx bench/review-claims.ts
//   BENCH_REVIEW_TASKS=200000 BENCH_REVIEW_CHURN=50000 npx tsx bench/review-claims.ts   (a quick try)
import pg from 'pg';
import { recordAudit } from '../src/audit/index.js';
import { migrate, openPostgres, type Db, type Queryable } from '../src/db/index.js';
import { claimNextReview, decideReview, type ClaimNextInput } from '../src/review/index.js';
import { cpuWindow, type CpuUse } from './lib/cpu.js';
import { createPostgresDatabase } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, rate, sleep, summarize, type Summary } from './lib/stats.js';
import { timeDb, type StatementStats, type TimedDb } from './lib/timed-db.js';

const tasks = Number(process.env.BENCH_REVIEW_TASKS ?? 1_000_000);
const churnDecisions = Number(process.env.BENCH_REVIEW_CHURN ?? 250_000);
/** A measured slice of one variant: this many claims or this long, whichever comes first. */
const sliceClaims = Number(process.env.BENCH_REVIEW_SLICE_CLAIMS ?? 5_000);
const sliceMs = Number(process.env.BENCH_REVIEW_SLICE_MS ?? 4_000);
const rounds = Number(process.env.BENCH_REVIEW_ROUNDS ?? 3);
/** The passes after the churn: this many claims or this long. */
const passClaims = Number(process.env.BENCH_REVIEW_CLAIMS ?? 20_000);
const passMs = Number(process.env.BENCH_REVIEW_PASS_MS ?? 20_000);
/** Before each round or pass, wait at most this long for the shared machine to be quiet. */
const quietWaitMs = Number(process.env.BENCH_REVIEW_QUIET_WAIT_MS ?? 5_000);
const fillBatch = 100_000;
const churnBatch = 5_000;
const poolSize = 20;
const aims = { p50At4: 1, p99At4: 5, p99At16: 10, churnDropPct: 25 };

const workflowIds = Array.from({ length: 6 }, (_, i) => `bench-reviews-${i + 1}`);

/**
 * The people claiming, in a cycle of four: a lead who works both roles, a reviewer who sees every
 * workflow, a reviewer of a team that sees four of the six, an approver. Tasks are 70 % reviewer,
 * 30 % approver; the lead takes whatever is first, which keeps the two roles' depth in the queue
 * from drifting apart (one claimer alone is the lead).
 */
function claimer(i: number): ClaimNextInput {
  switch (i % 4) {
    case 0: return { actor: `lead-${i}`, roles: ['reviewer', 'approver'], workflowIds };
    case 1: return { actor: `reviewer-${i}`, roles: ['reviewer'], workflowIds };
    case 2: return { actor: `reviewer-${i}`, roles: ['reviewer'], workflowIds: workflowIds.slice(0, 4) };
    default: return { actor: `approver-${i}`, roles: ['approver'], workflowIds };
  }
}
const profileNames = ['lead: reviewer + approver, all 6 workflows', 'reviewer, all 6', 'reviewer, 4 of 6 workflows', 'approver, all 6'];
/** Only reviewers claiming: approver tasks stay at the head of the queue, and every claim passes them. */
function reviewerOnly(i: number): ClaimNextInput {
  return { actor: `reviewer-only-${i}`, roles: ['reviewer'], workflowIds };
}

type Variant = 'audit' | 'no audit, own transaction' | 'no audit, autocommit' | 'no audit, prepared';
const variantLabel: Record<Variant, string> = {
  audit: 'claimNextReview (UPDATE + audit event, one transaction)',
  'no audit, own transaction': 'same UPDATE, no audit (BEGIN; UPDATE; COMMIT)',
  'no audit, autocommit': 'same UPDATE, no audit (autocommit)',
  'no audit, prepared': 'same UPDATE, no audit, autocommit, named prepared statement (bench-only pool)',
};

// ---------------------------------------------------------------- filling

async function fill(url: string): Promise<{ ms: number; vacuumMs: number; heapMb: number; queueIndexMb: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO workflows (id, kind, title, owner, risk)
       SELECT id, 'external', 'Benchmark review source ' || id, 'bench@example.com', 'medium' FROM unnest($1::text[]) AS id`,
      [workflowIds],
    );
    await c.query('SELECT setseed(0.42)');
    const t0 = performance.now();
    for (let from = 1; from <= tasks; from += fillBatch) {
      const to = Math.min(tasks, from + fillBatch - 1);
      // Priority 0 8 %, 1 80 %, 2 9 %, 3 3 %; due over 6 days (a day of it already past); 70 % for
      // reviewers; workflows 35/25/15/10/10/5 %; every task external (no run), with its caller's reference.
      await c.query(
        `INSERT INTO reviews (id, workflow_id, status, reason, title, proposed, context, assigned_role, priority, requested_by,
           sla_seconds, due_at, deadline_at, escalation_chain, external_ref, callback_url, created_at)
         SELECT 'rev_' || lpad(to_hex(g), 7, '0') || substr(md5(g::text), 1, 12),
           CASE WHEN w < 0.35 THEN 'bench-reviews-1' WHEN w < 0.60 THEN 'bench-reviews-2' WHEN w < 0.75 THEN 'bench-reviews-3'
                WHEN w < 0.85 THEN 'bench-reviews-4' WHEN w < 0.95 THEN 'bench-reviews-5' ELSE 'bench-reviews-6' END,
           'pending',
           CASE WHEN r < 0.6 THEN 'low_confidence' WHEN r < 0.85 THEN 'policy' ELSE 'risk' END,
           'Refund request #' || g,
           jsonb_build_object('action', 'refund', 'amount', round((r * 500)::numeric, 2), 'currency', 'EUR', 'customer', 'cus_' || (g % 50000)),
           jsonb_build_object('confidence', round((0.5 + r * 0.4)::numeric, 3), 'model', 'bench-model', 'source', 'api'),
           CASE WHEN a < 0.7 THEN 'reviewer' ELSE 'approver' END,
           CASE WHEN p < 0.08 THEN 0 WHEN p < 0.88 THEN 1 WHEN p < 0.97 THEN 2 ELSE 3 END,
           'caller-' || (g % 200),
           86400,
           now() - interval '1 day' + d * interval '6 days',
           CASE WHEN r < 0.3 THEN now() + interval '6 days' + d * interval '6 days' END,
           CASE WHEN a < 0.7 THEN ARRAY['approver'] ELSE '{}'::text[] END,
           'ext-' || g,
           'https://callbacks.example.com/keel',
           now() - interval '2 days' + d * interval '6 days'
         FROM (SELECT g, random() AS w, random() AS r, random() AS a, random() AS p, random() AS d
                 FROM generate_series($1::int, $2::int) AS g) AS s`,
        [from, to],
      );
      process.stdout.write(`\rfilled ${to.toLocaleString('en')} tasks in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const fillMs = performance.now() - t0;
    process.stdout.write('\n');
    const v0 = performance.now();
    await c.query('VACUUM ANALYZE reviews');
    await c.query('VACUUM ANALYZE workflows');
    const vacuumMs = performance.now() - v0;
    const size = await c.query<{ heap: string; queue: string }>(
      `SELECT pg_relation_size('reviews') AS heap, pg_relation_size('reviews_queue') AS queue`,
    );
    return { ms: fillMs, vacuumMs, heapMb: Number(size.rows[0]!.heap) / 2 ** 20, queueIndexMb: Number(size.rows[0]!.queue) / 2 ** 20 };
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- autovacuum

interface VacuumEvent { table: string; what: 'VACUUM' | 'ANALYZE'; startMs: number; endMs: number; deadBefore: number }

const began = Date.now();
const sinceStart = () => Date.now() - began;

/**
 * The autovacuum launcher for this database when the server's is off: a round applies the server's
 * thresholds to every table and runs VACUUM / ANALYZE throttled like autovacuum (its cost delay and
 * limit), one table at a time. Rounds run every autovacuum_naptime in the background, or, while
 * paused, when the benchmark calls round() (the churn compresses hours of decisions into a minute, so
 * it calls a round once per naptime's worth of decisions: simulated time). With the server's
 * autovacuum on, nothing is emulated and round() does nothing.
 */
class Launcher {
  readonly events: VacuumEvent[] = [];
  private stopped = false;
  private paused = false;
  private busy: Promise<void> = Promise.resolve();
  private wake: () => void = () => {};
  private loop: Promise<void> = Promise.resolve();
  private constructor(readonly mode: 'server' | 'emulated', readonly settings: Record<string, string>, private readonly client?: pg.Client) {}

  static async start(db: Db, url: string): Promise<Launcher> {
    const s = await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name LIKE 'autovacuum%' OR name IN ('vacuum_cost_limit', 'vacuum_cost_delay')`,
    );
    const settings = Object.fromEntries(s.rows.map((r) => [r.name, r.setting]));
    if (settings.autovacuum === 'on') return new Launcher('server', settings);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    await client.connect();
    const limit = Number(settings.autovacuum_vacuum_cost_limit) > 0 ? settings.autovacuum_vacuum_cost_limit : settings.vacuum_cost_limit;
    await client.query(`SET vacuum_cost_delay = '${Number(settings.autovacuum_vacuum_cost_delay)}ms'`);
    await client.query(`SET vacuum_cost_limit = ${Number(limit)}`);
    const launcher = new Launcher('emulated', settings, client);
    launcher.loop = launcher.run();
    return launcher;
  }

  get naptimeMs(): number {
    return Number(this.settings.autovacuum_naptime) * 1000;
  }

  /** autovacuum's vacuum threshold for a table of `rows` rows. */
  threshold(rows: number): number {
    return Number(this.settings.autovacuum_vacuum_threshold) + Number(this.settings.autovacuum_vacuum_scale_factor) * rows;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.naptimeMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      if (!this.stopped && !this.paused) await this.round();
    }
  }

  /** One launcher round over every table of the database (waits for a round in progress first). */
  async round(): Promise<void> {
    if (this.mode === 'server' || !this.client) return;
    const client = this.client;
    const previous = this.busy;
    let done!: () => void;
    this.busy = new Promise((resolve) => (done = resolve));
    await previous;
    try {
      const num = (name: string) => Number(this.settings[name]);
      const r = await client.query<{ relname: string; reltuples: number; n_dead_tup: number; n_ins_since_vacuum: number; n_mod_since_analyze: number }>(
        `SELECT s.relname, greatest(c.reltuples, 0)::float8 AS reltuples, s.n_dead_tup::float8, s.n_ins_since_vacuum::float8, s.n_mod_since_analyze::float8
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid ORDER BY s.relname`,
      );
      for (const t of r.rows) {
        if (this.stopped) break;
        const vacuum = t.n_dead_tup > this.threshold(t.reltuples)
          || t.n_ins_since_vacuum > num('autovacuum_vacuum_insert_threshold') + num('autovacuum_vacuum_insert_scale_factor') * t.reltuples;
        const analyze = t.n_mod_since_analyze > num('autovacuum_analyze_threshold') + num('autovacuum_analyze_scale_factor') * t.reltuples;
        for (const what of [vacuum ? 'VACUUM' : '', analyze ? 'ANALYZE' : ''].filter(Boolean) as Array<'VACUUM' | 'ANALYZE'>) {
          const startMs = sinceStart();
          await client.query(`${what} ${pg.escapeIdentifier(t.relname)}`);
          this.events.push({ table: t.relname, what, startMs, endMs: sinceStart(), deadBefore: t.n_dead_tup });
          if (t.relname === 'reviews') console.log(`  [autovacuum] ${what} reviews (${t.n_dead_tup.toLocaleString('en')} dead tuples): ${((sinceStart() - startMs) / 1000).toFixed(1)} s`);
        }
      }
    } catch {
      // cancelled when the benchmark stops
    } finally {
      done();
    }
  }

  pause(): void {
    this.paused = true;
  }

  async stop(db: Db): Promise<void> {
    this.stopped = true;
    this.wake();
    if (this.client) {
      const pid = (this.client as unknown as { processID?: number }).processID;
      if (pid) await db.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
      await this.loop;
      await this.busy;
      await this.client.end().catch(() => {});
    }
  }
}

// ---------------------------------------------------------------- statistics and plans

interface QueueStats {
  upd: number; hotUpd: number; dead: number; live: number;
  idxScan: number; idxTupRead: number; idxBlks: number;
  heapMb: number; queueMb: number;
}

/** Backends publish their counters at most once a second, at the end of a transaction: make each pool connection end one. */
async function flushStats(db: Db): Promise<void> {
  await sleep(1_100);
  await Promise.all(Array.from({ length: poolSize }, () => db.transaction(async (tx) => {
    await tx.query('SELECT 1');
    await sleep(30);
  })));
}

async function queueStats(db: Db): Promise<QueueStats> {
  const r = await db.query<Record<string, string>>(
    `SELECT t.n_tup_upd, t.n_tup_hot_upd, t.n_dead_tup, t.n_live_tup, i.idx_scan, i.idx_tup_read, io.idx_blks_hit + io.idx_blks_read AS blks,
            pg_relation_size('reviews') AS heap, pg_relation_size('reviews_queue') AS queue
       FROM pg_stat_user_tables t, pg_stat_user_indexes i, pg_statio_user_indexes io
      WHERE t.relname = 'reviews' AND i.indexrelname = 'reviews_queue' AND io.indexrelname = 'reviews_queue'`,
  );
  const x = r.rows[0]!;
  return {
    upd: Number(x.n_tup_upd), hotUpd: Number(x.n_tup_hot_upd), dead: Number(x.n_dead_tup), live: Number(x.n_live_tup),
    idxScan: Number(x.idx_scan), idxTupRead: Number(x.idx_tup_read), idxBlks: Number(x.blks),
    heapMb: Number(x.heap) / 2 ** 20, queueMb: Number(x.queue) / 2 ** 20,
  };
}

interface Captured { sql: string; params: unknown[] }
class CapturedSignal extends Error {}

/** The statement claimNextReview issues for this person, captured (and rolled back) before it runs. */
async function captureClaim(db: Db, input: ClaimNextInput): Promise<Captured> {
  let got: Captured | undefined;
  const spy: Db = {
    ...db,
    transaction: (fn) => db.transaction((_tx) => fn({
      async query(sql: string, params?: readonly unknown[]) {
        got = { sql, params: [...(params ?? [])] };
        throw new CapturedSignal();
      },
    } as Queryable)),
  };
  try {
    await claimNextReview(spy, input);
  } catch (error) {
    if (!(error instanceof CapturedSignal)) throw error;
  }
  if (!got || !/^\s*UPDATE reviews/i.test(got.sql)) throw new Error(`claimNextReview's first statement is not the claim UPDATE: ${got?.sql.slice(0, 80)}`);
  return got;
}

interface PlanNode {
  'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Parent Relationship'?: string;
  'Rows Removed by Filter'?: number; 'Actual Rows'?: number; 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

interface ClaimPlan {
  when: string;
  profile: string;
  gist: string;
  indexes: string[];
  usesQueueIndex: boolean;
  executionMs: number;
  planningMs: number;
  sharedBlocks: number;
  removedByFilter: number;
  text: string;
}

function describeNodes(node: PlanNode): string {
  const name = `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}`;
  const removed = node['Rows Removed by Filter'] ? ` (${node['Rows Removed by Filter']} removed by filter)` : '';
  const kids = (node.Plans ?? []).map((k) => `${k['Parent Relationship'] === 'InitPlan' ? 'InitPlan: ' : ''}${describeNodes(k)}`);
  return kids.length ? `${name}${removed} <- ${kids.length > 1 ? `[${kids.join('; ')}]` : kids[0]}` : `${name}${removed}`;
}

function walk(node: PlanNode, fn: (n: PlanNode) => void): void {
  fn(node);
  for (const k of node.Plans ?? []) walk(k, fn);
}

class RollBack extends Error {}

async function explainClaim(db: Db, when: string, profile: string, c: Captured): Promise<ClaimPlan> {
  let json: { Plan: PlanNode; 'Planning Time': number; 'Execution Time': number } | undefined;
  let text = '';
  for (const format of ['TEXT', 'JSON'] as const) {
    try {
      await db.transaction(async (tx) => {
        const r = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT ${format}) ${c.sql}`, c.params);
        if (format === 'TEXT') text = r.rows.map((row) => String(row['QUERY PLAN'])).join('\n');
        else json = (r.rows[0]!['QUERY PLAN'] as Array<typeof json>)[0];
        throw new RollBack();
      });
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
    }
  }
  const indexes: string[] = [];
  let removed = 0;
  walk(json!.Plan, (n) => {
    if (n['Index Name']) indexes.push(n['Index Name']);
    removed += n['Rows Removed by Filter'] ?? 0;
  });
  const plan = json!.Plan;
  return {
    when, profile, gist: describeNodes(plan), indexes, usesQueueIndex: indexes.includes('reviews_queue'),
    executionMs: json!['Execution Time'], planningMs: json!['Planning Time'],
    sharedBlocks: (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0), removedByFilter: removed, text,
  };
}

// ---------------------------------------------------------------- deciding

type Decide = (db: Db, reviewId: string, actor: string) => Promise<void>;

/** What decideReview writes for a task (conditional UPDATE + the review:decided audit event), for when it cannot decide an external task. */
const decideBySql: Decide = async (db, reviewId, actor) => {
  await db.transaction(async (tx) => {
    const r = await tx.query<{ id: string; run_id: string | null; step_id: string | null }>(
      `UPDATE reviews SET status = 'approved', decided_output = NULL, comment = NULL, decided_by = $2, decided_at = now(),
         claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND status IN ('pending', 'escalated') AND claimed_by = $2 RETURNING id, run_id, step_id`,
      [reviewId, actor],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`review ${reviewId} was not open and claimed by ${actor}`);
    await recordAudit(tx, {
      actor, action: 'review:decided', subjectType: 'review', subjectId: row.id,
      data: { run: row.run_id, step: row.step_id, decision: 'approve' },
    });
  });
};

const decideByKeel: Decide = async (db, reviewId, actor) => {
  await decideReview(db, { target: { reviewId }, decision: 'approve', actor }, async () => undefined);
};

/** The real decision path if it takes an external task now; otherwise the same writes by SQL. */
async function chooseDecide(db: Db): Promise<{ decide: Decide; real: boolean; note: string }> {
  const probe = await claimNextReview(db, { actor: 'bench-probe', roles: null, workflowIds: null });
  if (!probe) throw new Error('no task to probe the decision path with');
  try {
    await decideByKeel(db, probe.id, 'bench-probe');
    const after = await db.query<{ status: string }>('SELECT status FROM reviews WHERE id = $1', [probe.id]);
    if (after.rows[0]?.status !== 'approved') throw new Error(`status after decideReview: ${after.rows[0]?.status}`);
    return { decide: decideByKeel, real: true, note: 'decideReview (the real decision path, approve, no-op wake) decided each claimed external task' };
  } catch (error) {
    await decideBySql(db, probe.id, 'bench-probe');
    return {
      decide: decideBySql, real: false,
      note: `decideReview refused an external task at the time of the run (${(error as Error).message}), so each claimed task was decided by one conditional UPDATE (status approved, decided_by/at, claim cleared, WHERE open AND claimed by the decider) plus the review:decided audit event, in one transaction: decideReview's writes without its run lock and wake`,
    };
  }
}

// ---------------------------------------------------------------- measuring

interface Ctx { db: Db; url: string; decide: Decide; raw: pg.Pool }

/** One variant at one concurrency: what its slices measured, added up. */
interface Measurement {
  phase: string;
  variant: Variant;
  claimers: number;
  claims: number;
  empty: number;
  wallMs: number;
  perSec: number;
  claim: Summary;
  decide: Summary;
  claimSamples: number[];
  decideSamples: number[];
  cpu: CpuUse[];
  /** Every statement of the measured loops (claims and decisions), slowest total first. */
  statements: StatementStats[];
  timed: TimedDb;
  /** Who claims: claimer (the mix) or reviewerOnly. */
  people: (i: number) => ClaimNextInput;
  /** Queue index entries / blocks per claim and HOT share of updates, where measured per pass. */
  queue?: { entries: number; blocks: number; hotPct: number; deadBefore: number; deadAfter: number };
  busyBefore: number[];
}

function newMeasurement(ctx: Ctx, phase: string, variant: Variant, claimers: number, people = claimer): Measurement {
  return {
    phase, variant, claimers, people, claims: 0, empty: 0, wallMs: 0, perSec: 0, claim: summarize([]), decide: summarize([]),
    claimSamples: [], decideSamples: [], cpu: [], statements: [], timed: timeDb(ctx.db), busyBefore: [],
  };
}

/** Runs one slice of a variant: `claimers` people each claiming and deciding until the budget is spent. */
async function slice(ctx: Ctx, m: Measurement, budgetClaims: number, budgetMs: number, captured: Captured[]): Promise<void> {
  const db = m.timed;
  const inputs = Array.from({ length: m.claimers }, (_, i) => m.people(i));
  const claimOne = async (i: number): Promise<{ id: string } | undefined> => {
    if (m.variant === 'audit') return claimNextReview(db, inputs[i]!);
    const c = captured[i]!;
    if (m.variant === 'no audit, autocommit') return (await db.query<{ id: string }>(c.sql, c.params)).rows[0];
    // Planned on its first runs per connection, then (after five) a generic plan reused without planning.
    if (m.variant === 'no audit, prepared') return (await ctx.raw.query<{ id: string }>({ name: `bench-claim-${i % 4}`, text: c.sql, values: c.params })).rows[0];
    return db.transaction(async (tx) => (await tx.query<{ id: string }>(c.sql, c.params)).rows[0]);
  };
  const loop = async (i: number, budget: { left: number }, deadline: number, record: boolean): Promise<void> => {
    while (budget.left > 0 && performance.now() < deadline) {
      budget.left--;
      const s = performance.now();
      const row = await claimOne(i);
      if (record) m.claimSamples.push(performance.now() - s);
      if (!row) {
        if (record) m.empty++;
        continue;
      }
      const d = performance.now();
      await ctx.decide(db, row.id, inputs[i]!.actor);
      if (record) m.decideSamples.push(performance.now() - d);
    }
  };
  // Warm-up, not measured: connections, plans (and prepared statements), the head of the queue.
  const warm = { left: m.claimers * 10 };
  await Promise.all(inputs.map((_, i) => loop(i, warm, performance.now() + 5_000, false)));
  const before = m.claimSamples.length;
  const window = cpuWindow({}, ctx.url);
  const budget = { left: budgetClaims };
  const t0 = performance.now();
  await Promise.all(inputs.map((_, i) => loop(i, budget, t0 + budgetMs, true)));
  m.wallMs += performance.now() - t0;
  m.cpu.push(await window.end());
  m.claims += m.claimSamples.length - before;
}

function finish(m: Measurement): Measurement {
  m.perSec = m.claims / (m.wallMs / 1000);
  m.claim = summarize(m.claimSamples);
  m.decide = summarize(m.decideSamples);
  m.statements = m.timed.report();
  return m;
}

/** CPU use over a measurement's slices, weighted by their wall time. */
function cpuOf(m: Measurement): { machine: number; postgres: number; bench: number; other: number } {
  const wall = m.cpu.reduce((s, c) => s + c.wallMs, 0) || 1;
  const avg = (f: (c: CpuUse) => number) => Math.round(m.cpu.reduce((s, c) => s + f(c) * c.wallMs, 0) / wall);
  return { machine: avg((c) => c.machineBusyPct), postgres: avg((c) => c.postgresOwnPct ?? c.postgresPct), bench: avg((c) => c.benchPct), other: avg((c) => c.otherPct) };
}

function describe(m: Measurement): string {
  const cpu = cpuOf(m);
  return `${m.phase} | ${variantLabel[m.variant]} | ${m.claimers} claimers: ${rate(m.perSec, 'claims/s')}, claim p50 ${ms(m.claim.p50)} p95 ${ms(m.claim.p95)} p99 ${ms(m.claim.p99)}`
    + `${m.queue ? `; ${m.queue.entries.toFixed(1)} queue entries and ${m.queue.blocks.toFixed(1)} index blocks per claim, ${m.queue.deadBefore.toLocaleString('en')} dead tuples` : ''}; other work ${cpu.other} %`;
}

/**
 * Fresh: for each concurrency, `rounds` rounds; each round vacuums reviews, then runs one slice of
 * every variant, in an order rotated from round to round.
 */
async function freshPhase(ctx: Ctx, claimers: number, variants: Variant[], roundCount: number, queueTotals: { claims: number; entries: number; blocks: number; upd: number; hot: number }): Promise<Measurement[]> {
  const ms_ = variants.map((v) => newMeasurement(ctx, 'fresh', v, claimers));
  const captured = await Promise.all(Array.from({ length: claimers }, (_, i) => captureClaim(ctx.db, claimer(i))));
  for (let r = 0; r < roundCount; r++) {
    await ctx.db.query('VACUUM reviews');
    const busy = await waitForQuiet(15, quietWaitMs);
    await flushStats(ctx.db);
    const s0 = await queueStats(ctx.db);
    let claimsBefore = 0;
    for (const m of ms_) claimsBefore += m.claims;
    for (let k = 0; k < ms_.length; k++) {
      const m = ms_[(k + r) % ms_.length]!;
      m.busyBefore.push(busy);
      await slice(ctx, m, sliceClaims, sliceMs, captured);
    }
    await flushStats(ctx.db);
    const s1 = await queueStats(ctx.db);
    let claimsAfter = 0;
    for (const m of ms_) claimsAfter += m.claims;
    queueTotals.claims += claimsAfter - claimsBefore;
    queueTotals.entries += s1.idxTupRead - s0.idxTupRead;
    queueTotals.blocks += s1.idxBlks - s0.idxBlks;
    queueTotals.upd += s1.upd - s0.upd;
    queueTotals.hot += s1.hotUpd - s0.hotUpd;
  }
  for (const m of ms_) console.log(describe(finish(m)));
  return ms_;
}

/** One measured pass of real claims (with audit) by 4 people, with the queue statistics of the pass. */
async function churnPass(ctx: Ctx, phase: string, people = claimer): Promise<Measurement> {
  const m = newMeasurement(ctx, phase, 'audit', 4, people);
  m.busyBefore.push(await waitForQuiet(15, quietWaitMs));
  await flushStats(ctx.db);
  const s0 = await queueStats(ctx.db);
  await slice(ctx, m, passClaims, passMs, []);
  await flushStats(ctx.db);
  const s1 = await queueStats(ctx.db);
  const upd = s1.upd - s0.upd;
  m.queue = {
    entries: (s1.idxTupRead - s0.idxTupRead) / Math.max(1, m.claims), blocks: (s1.idxBlks - s0.idxBlks) / Math.max(1, m.claims),
    hotPct: upd > 0 ? ((s1.hotUpd - s0.hotUpd) / upd) * 100 : 0, deadBefore: s0.dead, deadAfter: s1.dead,
  };
  console.log(describe(finish(m)));
  return m;
}

// ---------------------------------------------------------------- churn

/**
 * Decides `decisions` tasks by bulk SQL, most urgent free ones first: per batch a claim UPDATE, then a
 * decision UPDATE (the two row versions and index entries each real decision leaves; no audit
 * events). Every `roundEvery` decisions the launcher runs a round (simulated naptime).
 */
async function churn(url: string, decisions: number, launcher: Launcher, roundEvery: number): Promise<{ ms: number; done: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t0 = performance.now();
    let done = 0;
    let sinceRound = 0;
    while (done < decisions) {
      const n = Math.min(churnBatch, decisions - done, Math.max(1, roundEvery - sinceRound));
      const claimed = await c.query<{ id: string }>(
        `UPDATE reviews r SET claimed_by = 'bench-churn', claimed_until = now() + interval '15 minutes'
           FROM (SELECT id FROM reviews WHERE status IN ('pending', 'escalated') AND (claimed_until IS NULL OR claimed_until <= now())
                  ORDER BY priority DESC, due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) AS picked
          WHERE r.id = picked.id RETURNING r.id`,
        [n],
      );
      if (claimed.rows.length === 0) break;
      await c.query(
        `UPDATE reviews SET status = 'approved', decided_by = 'bench-churn', decided_at = now(), claimed_by = NULL, claimed_until = NULL
          WHERE id = ANY($1::text[]) AND status IN ('pending', 'escalated') AND claimed_by = 'bench-churn'`,
        [claimed.rows.map((r) => r.id)],
      );
      done += claimed.rows.length;
      sinceRound += claimed.rows.length;
      if (launcher.mode === 'emulated' && sinceRound >= roundEvery) {
        sinceRound = 0;
        await sleep(1_100); // this backend publishes its counters at its next commit after a second
        await c.query('SELECT 1');
        await launcher.round();
      }
      process.stdout.write(`\rchurn: ${done.toLocaleString('en')} decisions in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    process.stdout.write('\n');
    return { ms: performance.now() - t0, done };
  } finally {
    await c.end();
  }
}

async function deadTuples(db: Db): Promise<{ dead: number; rows: number }> {
  await flushStats(db);
  const r = await db.query<{ dead: number; rows: number }>(
    `SELECT s.n_dead_tup::float8 AS dead, greatest(c.reltuples, 0)::float8 AS rows
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'reviews'`,
  );
  return r.rows[0]!;
}

/** What any claim pays on this machine through the Db port: a round trip, and a commit that flushes WAL. */
async function floor(db: Db): Promise<Array<[string, Summary]>> {
  await db.query('CREATE TABLE bench_floor (n int)');
  const time = async (fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < 600; i++) {
      const s = performance.now();
      await fn();
      if (i >= 100) samples.push(performance.now() - s);
    }
    return summarize(samples);
  };
  const out: Array<[string, Summary]> = [
    ['SELECT 1 (one round trip)', await time(() => db.query('SELECT 1'))],
    ['INSERT of one small row, autocommit (round trip + WAL flush)', await time(() => db.query('INSERT INTO bench_floor VALUES (1)'))],
    ['BEGIN; INSERT; COMMIT (three round trips + WAL flush)', await time(() => db.transaction((tx) => tx.query('INSERT INTO bench_floor VALUES (1)')))],
    ['BEGIN; INSERT; INSERT; COMMIT (the shape of claimNextReview)', await time(() => db.transaction(async (tx) => {
      await tx.query('INSERT INTO bench_floor VALUES (1)');
      await tx.query('INSERT INTO bench_floor VALUES (2)');
    }))],
  ];
  await db.query('DROP TABLE bench_floor');
  return out;
}

/**
 * Not Keel's SQL: a candidate shape of the claim for comparison only (see bench/RESULTS.md). Per role
 * of the person, the first free task of that role from an index led by assigned_role (one descent
 * each, locked with SKIP LOCKED), then the most urgent of those. Same parameters as claimNextReview's
 * statement ($1 actor, $2 seconds, $3 roles, $4 workflows). A real version also needs a branch for
 * tasks assigned to the person by name, and today's shape when roles is null.
 */
const candidateClaimSql = `UPDATE reviews SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
  WHERE id = (
    SELECT c.id FROM unnest($3::text[]) AS r(role)
    CROSS JOIN LATERAL (
      SELECT id, priority, due_at FROM reviews
       WHERE assigned_role = r.role AND status IN ('pending', 'escalated') AND (claimed_until IS NULL OR claimed_until <= now())
         AND ($4::text[] IS NULL OR workflow_id = ANY($4::text[]))
       ORDER BY priority DESC, due_at, id
       LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
    ORDER BY c.priority DESC, c.due_at, c.id LIMIT 1)
  RETURNING *`;

// ---------------------------------------------------------------- main

const background = await waitForQuiet();
const created = await createPostgresDatabase('keel_bench_reviews');
const db = await openPostgres({ url: created.url, poolSize });
const raw = new pg.Pool({ connectionString: created.url, max: 4 });
raw.on('error', () => {});
let launcher: Launcher | undefined;
try {
  await migrate(db);
  console.log(`database ${new URL(created.url).pathname.slice(1)}; filling ${tasks.toLocaleString('en')} pending external review tasks`);
  const filled = await fill(created.url);
  console.log(`filled in ${(filled.ms / 1000).toFixed(1)} s, VACUUM ANALYZE ${(filled.vacuumMs / 1000).toFixed(1)} s; heap ${filled.heapMb.toFixed(0)} MB, reviews_queue ${filled.queueIndexMb.toFixed(0)} MB`);
  const spread = await db.query<{ priority: number; role: string; n: number }>(
    `SELECT priority, assigned_role AS role, count(*)::int AS n FROM reviews GROUP BY 1, 2 ORDER BY 1 DESC, 2`,
  );
  launcher = await Launcher.start(db, created.url);
  console.log(`autovacuum: ${launcher.mode === 'server' ? 'the server\'s' : `server has autovacuum=off; emulated (naptime ${launcher.settings.autovacuum_naptime} s, the server's thresholds and throttle)`}`);
  const plans: ClaimPlan[] = [];
  for (const i of [0, 1, 3]) plans.push(await explainClaim(db, 'fresh (after VACUUM ANALYZE)', profileNames[i]!, await captureClaim(db, claimer(i))));
  for (const p of plans) console.log(`plan (${p.profile}): ${p.gist}; ${p.sharedBlocks} blocks, planning ${p.planningMs.toFixed(3)} ms, execution ${p.executionMs.toFixed(3)} ms`);

  await waitForQuiet(15, quietWaitMs);
  const floors = await floor(db);
  for (const [what, sm] of floors) console.log(`floor: ${what}: p50 ${ms(sm.p50)}, p99 ${ms(sm.p99)}`);
  const chosen = await chooseDecide(db);
  console.log(chosen.note);
  const ctx: Ctx = { db, url: created.url, decide: chosen.decide, raw };
  const decided = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reviews WHERE status <> 'pending'`)).rows[0]!.n;

  const queueTotals = { claims: 0, entries: 0, blocks: 0, upd: 0, hot: 0 };
  const fresh: Measurement[] = [
    ...await freshPhase(ctx, 1, ['audit', 'no audit, autocommit'], 2, queueTotals),
    ...await freshPhase(ctx, 4, ['audit', 'no audit, own transaction', 'no audit, autocommit', 'no audit, prepared'], rounds, queueTotals),
    ...await freshPhase(ctx, 16, ['audit', 'no audit, autocommit'], rounds, queueTotals),
  ];
  const find = (claimers: number, variant: Variant) => fresh.find((m) => m.claimers === claimers && m.variant === variant)!;
  const a1 = find(1, 'audit');
  const n1 = find(1, 'no audit, autocommit');
  const a4 = find(4, 'audit');
  const t4 = find(4, 'no audit, own transaction');
  const n4 = find(4, 'no audit, autocommit');
  const p4 = find(4, 'no audit, prepared');
  const a16 = find(16, 'audit');
  const n16 = find(16, 'no audit, autocommit');

  for (let i = 0; i < 4; i++) plans.push(await explainClaim(db, 'after the fresh slices (16 claimers last)', profileNames[i]!, await captureClaim(db, claimer(i))));

  // Role skew: only reviewers claim for a while; the approver tasks they pass stay at the head.
  await db.query('VACUUM reviews');
  const skew = await churnPass(ctx, 'reviewers only (role skew)', reviewerOnly);
  plans.push(await explainClaim(db, `after ${skew.claims.toLocaleString('en')} claims by reviewers only`, 'reviewer, all 6', await captureClaim(db, reviewerOnly(0))));
  const skewPlan = plans.at(-1)!;
  console.log(`plan after the reviewers-only pass: ${skewPlan.removedByFilter} rows removed by filter, ${skewPlan.sharedBlocks} blocks, ${skewPlan.executionMs.toFixed(3)} ms`);
  // A candidate shape (bench-only SQL, see the notes): one index descent per role, so passed tasks of other roles cost nothing.
  const i0 = performance.now();
  await db.query(`CREATE INDEX bench_reviews_queue_role ON reviews (assigned_role, priority DESC, due_at, id) WHERE status IN ('pending', 'escalated')`);
  const indexMs = performance.now() - i0;
  const skewCaptured = await captureClaim(db, reviewerOnly(0));
  plans.push(await explainClaim(db, `same moment, candidate per-role claim (bench-only SQL and index, built in ${(indexMs / 1000).toFixed(1)} s, dropped after)`, 'reviewer, all 6', { sql: candidateClaimSql, params: skewCaptured.params }));
  const candidatePlan = plans.at(-1)!;
  await db.query('DROP INDEX bench_reviews_queue_role');
  console.log(`candidate plan: ${candidatePlan.gist}; ${candidatePlan.sharedBlocks} blocks, ${candidatePlan.executionMs.toFixed(3)} ms`);

  // Churn, with the launcher's rounds in simulated time: once per naptime's worth of the decisions 4 people made.
  launcher.pause();
  await launcher.round();
  const roundEvery = Math.max(churnBatch, Math.round(a4.perSec * (launcher.naptimeMs / 1000)));
  const decidedBefore = await decided();
  console.log(`churn: deciding ${churnDecisions.toLocaleString('en')} more tasks (claim + decision each, bulk SQL, most urgent first); a launcher round every ${roundEvery.toLocaleString('en')} decisions`);
  const churned = await churn(created.url, churnDecisions, launcher, roundEvery);
  await launcher.round();
  const afterChurnState = await deadTuples(db);
  plans.push(await explainClaim(db, `after the churn (${afterChurnState.dead.toLocaleString('en')} dead tuples)`, profileNames[0]!, await captureClaim(db, claimer(0))));
  console.log(`plan after churn: ${plans.at(-1)!.gist}; ${plans.at(-1)!.sharedBlocks} blocks, ${plans.at(-1)!.executionMs.toFixed(3)} ms`);
  const afterChurn = await churnPass(ctx, 'after churn');
  const decisionsSince = (await decided()) - decidedBefore;

  // The worst point of autovacuum's cycle: more decisions until dead tuples are just under its threshold.
  let worst: Measurement | undefined;
  let worstState = await deadTuples(db);
  const limit = launcher.threshold(worstState.rows);
  const extra = Math.floor((0.97 * limit - worstState.dead) / 2);
  let extraDone = 0;
  if (launcher.mode === 'emulated' && extra > churnBatch) {
    console.log(`churn: ${extra.toLocaleString('en')} more decisions, to just under autovacuum's threshold (${Math.round(limit).toLocaleString('en')} dead tuples)`);
    extraDone = (await churn(created.url, extra, launcher, Number.MAX_SAFE_INTEGER)).done;
    worstState = await deadTuples(db);
    plans.push(await explainClaim(db, `worst point (${worstState.dead.toLocaleString('en')} dead tuples)`, profileNames[0]!, await captureClaim(db, claimer(0))));
    console.log(`plan at the worst point: ${plans.at(-1)!.sharedBlocks} blocks, ${plans.at(-1)!.executionMs.toFixed(3)} ms`);
    worst = await churnPass(ctx, 'worst point of the autovacuum cycle');
  }
  await launcher.stop(db);
  const finalCounts = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM reviews GROUP BY 1 ORDER BY 1`);
  const audited = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events')).rows[0]!.n;

  // ---------------------------------------------------------------- results
  const target = 'Review queue claims';
  const M = (tasks / 1e6).toLocaleString('en');
  const setting = (m: Measurement) => `${m.claimers} claimer${m.claimers > 1 ? 's' : ''}, ${M}M pending tasks, ${m.claims} claims + decisions${m.phase === 'fresh' ? ` in ${m.cpu.length} interleaved slices` : ''}`;
  const drop = (m: Measurement) => (1 - m.perSec / a4.perSec) * 100;
  const vs = (m: Measurement) => `${rate(m.perSec, 'claims/s')} (${drop(m) >= 0 ? '-' : '+'}${Math.abs(drop(m)).toFixed(0)} %)`;
  const churnAim = `>= ${Math.round(a4.perSec * (1 - aims.churnDropPct / 100))} claims/s (-${aims.churnDropPct} %)`;
  const auditCost = (a: Measurement, n: Measurement) => `p50 ${ms(a.claim.p50)} vs ${ms(n.claim.p50)} (+${ms(a.claim.p50 - n.claim.p50)}, ${(((a.claim.p50 - n.claim.p50) / a.claim.p50) * 100).toFixed(0)} % of the claim); p99 ${ms(a.claim.p99)} vs ${ms(n.claim.p99)}`;
  const firstPlan = plans[0]!;
  const figures: Figure[] = [
    { target, database: 'postgres', metric: 'claim p50 (claimNextReview, with audit event), 4 claimers', value: ms(a4.claim.p50), aim: `<= ${aims.p50At4} ms`, met: a4.claim.p50 <= aims.p50At4, setting: setting(a4) },
    { target, database: 'postgres', metric: 'claim p95 / p99, 4 claimers', value: `${ms(a4.claim.p95)} / ${ms(a4.claim.p99)}`, aim: `p99 <= ${aims.p99At4} ms`, met: a4.claim.p99 <= aims.p99At4, setting: setting(a4) },
    { target, database: 'postgres', metric: 'claims/s (claim + decision loops), 4 claimers', value: rate(a4.perSec, 'claims/s'), aim: '', met: null, setting: setting(a4) },
    { target, database: 'postgres', metric: 'claim p50 / p95, 16 claimers', value: `${ms(a16.claim.p50)} / ${ms(a16.claim.p95)}`, aim: '', met: null, setting: setting(a16) },
    { target, database: 'postgres', metric: 'claim p99, 16 claimers', value: ms(a16.claim.p99), aim: `<= ${aims.p99At16} ms`, met: a16.claim.p99 <= aims.p99At16, setting: setting(a16) },
    { target, database: 'postgres', metric: 'claims/s, 16 claimers', value: rate(a16.perSec, 'claims/s'), aim: '', met: null, setting: setting(a16) },
    { target, database: 'postgres', metric: 'floor: one round trip (SELECT 1); BEGIN + 2 small INSERTs + COMMIT, p50', value: `${ms(floors[0]![1].p50)}; ${ms(floors[3]![1].p50)}`, aim: '', met: null, setting: 'one at a time through the Db port, before the claimers start' },
    { target, database: 'postgres', metric: 'claim p50 / p99, one claimer alone (context)', value: `${ms(a1.claim.p50)} / ${ms(a1.claim.p99)}`, aim: '', met: null, setting: setting(a1) },
    {
      target, database: 'postgres', metric: `claims/s after ${churnDecisions.toLocaleString('en')} more decisions (autovacuum ${launcher.mode === 'server' ? 'on' : 'emulated'}), 4 claimers`,
      value: vs(afterChurn), aim: churnAim, met: drop(afterChurn) <= aims.churnDropPct,
      setting: `${setting(afterChurn)}; ${afterChurn.queue!.deadBefore.toLocaleString('en')} dead tuples in reviews at the start`,
    },
    ...(worst ? [{
      target, database: 'postgres' as const, metric: 'claims/s at the worst point of the autovacuum cycle (dead tuples just under its threshold), 4 claimers',
      value: vs(worst), aim: churnAim, met: drop(worst) <= aims.churnDropPct,
      setting: `${setting(worst)}; ${worst.queue!.deadBefore.toLocaleString('en')} dead tuples in reviews at the start`,
    }] : []),
    { target, database: 'postgres', metric: 'claim p50 / p99 after the churn' + (worst ? '; at the worst point' : ''), value: `${ms(afterChurn.claim.p50)} / ${ms(afterChurn.claim.p99)}${worst ? `; ${ms(worst.claim.p50)} / ${ms(worst.claim.p99)}` : ''}`, aim: '', met: null, setting: '4 claimers' },
    {
      target, database: 'postgres', metric: 'claim p50 / p99 when only reviewers claim (approver tasks stay at the head), 4 claimers',
      value: `${ms(skew.claim.p50)} / ${ms(skew.claim.p99)}; ${skew.queue!.entries.toFixed(0)} queue entries read per claim; at the end a claim passes ${skewPlan.removedByFilter.toLocaleString('en')} tasks (${ms(skewPlan.executionMs)})`,
      aim: '', met: null, setting: setting(skew),
    },
    {
      target, database: 'postgres', metric: 'that last claim: today vs a candidate per-role shape (bench-only SQL and index), execution / shared blocks',
      value: `${ms(skewPlan.executionMs)} / ${skewPlan.sharedBlocks} vs ${ms(candidatePlan.executionMs)} / ${candidatePlan.sharedBlocks}`, aim: '', met: null,
      setting: `EXPLAIN (ANALYZE, BUFFERS), same parameters, ${candidatePlan.usesQueueIndex ? 'reviews_queue' : candidatePlan.indexes.join(', ')}`,
    },
    { target, database: 'postgres', metric: 'audit event in the claim: with vs without (same UPDATE, autocommit), 1 claimer', value: auditCost(a1, n1), aim: 'report the cost', met: null, setting: setting(a1) },
    { target, database: 'postgres', metric: 'audit event in the claim: with vs without, 4 claimers', value: auditCost(a4, n4), aim: 'report the cost', met: null, setting: setting(a4) },
    { target, database: 'postgres', metric: 'claim p50 / p99 with 4 claimers: with audit; same UPDATE in its own transaction; alone; alone and prepared', value: [a4, t4, n4, p4].map((m) => `${ms(m.claim.p50)} / ${ms(m.claim.p99)}`).join('; '), aim: '', met: null, setting: setting(a4) },
    { target, database: 'postgres', metric: 'audit event in the claim: with vs without, 16 claimers', value: auditCost(a16, n16), aim: 'report the cost', met: null, setting: setting(a16) },
    { target, database: 'postgres', metric: 'claim plan uses reviews_queue', value: `${firstPlan.usesQueueIndex ? 'yes' : 'NO'}: ${firstPlan.gist}`, aim: 'reviews_queue', met: firstPlan.usesQueueIndex, setting: `EXPLAIN (ANALYZE, BUFFERS), ${firstPlan.profile}, fresh table` },
  ];

  const all = [...fresh, skew, afterChurn, ...(worst ? [worst] : [])];
  const fmtCpu = (m: Measurement) => {
    const c = cpuOf(m);
    return `${Math.max(...m.busyBefore)} %; ${c.machine} / ${c.postgres} / ${c.bench} / ${c.other}`;
  };
  const autovacuumNote = launcher.mode === 'server'
    ? 'Autovacuum: the server\'s own (autovacuum=on); the churn ran in real time.'
    : `Autovacuum: this server runs with autovacuum=off, so the benchmark played the launcher for its database with the server's settings: a round applies the thresholds (vacuum ${launcher.settings.autovacuum_vacuum_threshold} + ${launcher.settings.autovacuum_vacuum_scale_factor} x rows dead, insert ${launcher.settings.autovacuum_vacuum_insert_threshold} + ${launcher.settings.autovacuum_vacuum_insert_scale_factor} x rows, analyze ${launcher.settings.autovacuum_analyze_threshold} + ${launcher.settings.autovacuum_analyze_scale_factor} x rows changed) to every table and runs VACUUM / ANALYZE throttled as autovacuum is (cost delay ${launcher.settings.autovacuum_vacuum_cost_delay} ms, cost limit ${Number(launcher.settings.autovacuum_vacuum_cost_limit) > 0 ? launcher.settings.autovacuum_vacuum_cost_limit : launcher.settings.vacuum_cost_limit}), one table at a time. Rounds ran every ${launcher.settings.autovacuum_naptime} s until the churn; from then on in simulated time: one round per ${roundEvery.toLocaleString('en')} decisions (what the 4 claimers decided in one naptime, ${rate(a4.perSec, 'claims/s')} x ${launcher.settings.autovacuum_naptime} s), one after the churn, none during the measured passes.`;
  const details = [
    `${tasks.toLocaleString('en')} pending external review tasks (run_id and step_id NULL) in 6 workflows, filled by \`INSERT ... SELECT generate_series\` in batches of ${fillBatch.toLocaleString('en')} in ${(filled.ms / 1000).toFixed(1)} s, then \`VACUUM ANALYZE\` (${(filled.vacuumMs / 1000).toFixed(1)} s): heap ${filled.heapMb.toFixed(0)} MB, \`reviews_queue\` ${filled.queueIndexMb.toFixed(0)} MB. Spread (priority / role: tasks): ${spread.rows.map((r) => `${r.priority}/${r.role}: ${r.n.toLocaleString('en')}`).join(', ')}; due over 6 days, 30 % with a hard deadline.`,
    '',
    `Claimers cycle through four people: ${profileNames.join('; ')} (4 claimers are one of each, 16 four of each). Each loops without pause: claim, then decide the claimed task. ${chosen.note}. Latency is the claim call alone (pool checkout to commit); claims/s counts whole claim + decision loops, so it includes the decision's statements.`,
    '',
    `Fresh: per concurrency, ${rounds} rounds (2 with one claimer); each round runs \`VACUUM reviews\` and then one slice of every variant (${sliceClaims.toLocaleString('en')} claims or ${sliceMs / 1000} s, after 10 unmeasured claims per claimer) in an order rotated from round to round, so other work on the machine and the dead entries each slice leaves at the head of the queue fall on every variant alike. Without audit: the very UPDATE claimNextReview issues (captured from it, same parameters) in a transaction of its own, alone (autocommit), and alone as a named prepared statement on a bench-only pool of 4 connections (after five runs PostgreSQL reuses a generic plan instead of planning each time); decisions are the same in every variant. Over all fresh slices, a claim read ${(queueTotals.entries / Math.max(1, queueTotals.claims)).toFixed(1)} \`reviews_queue\` entries and ${(queueTotals.blocks / Math.max(1, queueTotals.claims)).toFixed(1)} of its blocks, and ${queueTotals.upd ? ((queueTotals.hot / queueTotals.upd) * 100).toFixed(0) : 0} % of the table's updates were HOT.`,
    '',
    table(['phase', 'claim', 'claimers', 'claims', 'claims/s', 'claim p50 / p95 / p99 / max', 'decide p50 / p99', 'queue index entries / blocks per claim', 'HOT updates', 'dead tuples in reviews before -> after', 'machine busy before (% of both cores); CPU % of a core during: machine / postgres (this db) / bench / other'],
      all.map((m) => [
        m.phase, variantLabel[m.variant], m.claimers, m.claims, rate(m.perSec, ''),
        `${ms(m.claim.p50)} / ${ms(m.claim.p95)} / ${ms(m.claim.p99)} / ${ms(m.claim.max)}`, `${ms(m.decide.p50)} / ${ms(m.decide.p99)}`,
        m.queue ? `${m.queue.entries.toFixed(1)} / ${m.queue.blocks.toFixed(1)}` : 'see above', m.queue ? `${m.queue.hotPct.toFixed(0)} %` : '',
        m.queue ? `${m.queue.deadBefore.toLocaleString('en')} -> ${m.queue.deadAfter.toLocaleString('en')}` : 'vacuumed before each round', fmtCpu(m),
      ])),
    '',
    `Churn: ${churned.done.toLocaleString('en')} decisions by bulk SQL in batches of up to ${churnBatch.toLocaleString('en')} (a claim UPDATE then a decision UPDATE per batch, most urgent free tasks first, no audit events) in ${(churned.ms / 1000).toFixed(1)} s, after ${decidedBefore.toLocaleString('en')} decisions by the fresh slices; ${decisionsSince.toLocaleString('en')} decisions between the end of the fresh slices and the end of the pass after the churn.${worst ? ` Then ${extraDone.toLocaleString('en')} more, to bring reviews to ${worstState.dead.toLocaleString('en')} dead tuples, just under autovacuum's threshold of ${Math.round(limit).toLocaleString('en')}: the most a claim meets between two autovacuum runs at this table size.` : ''} Tasks at the end: ${finalCounts.rows.map((r) => `${r.status} ${r.n.toLocaleString('en')}`).join(', ')}; ${audited.toLocaleString('en')} audit events.`,
    '',
    autovacuumNote,
    '',
    table(['autovacuum (seconds from the start)', 'table', 'dead tuples before', 'took'],
      launcher.events.filter((e) => e.table === 'reviews' || e.what === 'VACUUM').map((e) => [`${e.what} at ${(e.startMs / 1000).toFixed(0)} s`, e.table, e.deadBefore.toLocaleString('en'), `${((e.endMs - e.startMs) / 1000).toFixed(1)} s`])),
    '',
    'What a statement costs on this machine through the Db port, one at a time, no other load of the benchmark (500 each after 100 unmeasured):',
    '',
    table(['what', 'p50', 'p99'], floors.map(([what, sm]) => [what, ms(sm.p50), ms(sm.p99)])),
    '',
    'Statements of the loops (claim and decision), timed from the caller (pool checkout included); "transaction" is a whole claim or decision transaction:',
    '',
    table(['pass', 'statement', 'count', 'p50', 'p99', 'total'],
      [a1, a4, n4, skew, afterChurn].flatMap((m) => m.statements.slice(0, 9).map((st) => [
        `${m.phase}, ${m.claimers} claimer${m.claimers > 1 ? 's' : ''}, ${m.variant}`, st.label, st.n, ms(st.p50), ms(st.p99), ms(st.totalMs),
      ]))),
    '',
    'Plans of the claim (EXPLAIN (ANALYZE, BUFFERS), rolled back; the second of two runs):',
    '',
    table(['when', 'person', 'plan', 'shared blocks', 'planning', 'execution'],
      plans.map((p) => [p.when, p.profile, p.gist, p.sharedBlocks, ms(p.planningMs), ms(p.executionMs)])),
    '',
    '```',
    `-- ${firstPlan.when}, ${firstPlan.profile}`,
    firstPlan.text,
    '```',
  ].join('\n');
  saveResult({
    name: 'review-claims', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details,
    backgroundBusyPct: background, otherDuringPct: Math.max(...all.map((m) => cpuOf(m).other)),
    data: {
      tasks, churnDecisions, floors, decidePath: chosen.real ? 'decideReview' : 'sql', autovacuum: launcher.mode, roundEvery, autovacuumEvents: launcher.events,
      measurements: all.map((m) => ({ ...m, claimSamples: undefined, decideSamples: undefined, timed: undefined, people: undefined, cpu: cpuOf(m) })), plans,
    },
  });
} finally {
  await launcher?.stop(db).catch(() => {});
  await raw.end().catch(() => {});
  await db.close();
  await created.drop();
}
