// The email trigger. One leader (advisory lock, like the scheduler) reads each due trigger's mailbox
// through the governed connector path: `fetch_new` needs the workflow's live grant of `email:read` on
// the connector, so without one nothing is read and the refusal is audited. Each new message then
// starts one run, and the cursor is saved in the same transaction as the runs. A run's dedupe key
// names the mailbox's UIDVALIDITY and the message's UID, so two leaders, or a read replayed after a
// crash, still make one run per message. No transaction is held open while the mailbox is read.
// A trigger with no cursor yet starts where its `start` says: `new` (the default) asks `fetch_new`
// for the mailbox's newest position and saves it without starting a run; `all` reads from the
// oldest message.
import jsonata from 'jsonata';
import { z } from 'zod';
import { invokeAction, type ConnectorRuntimeDeps } from '../connectors/index.js';
import type { Db, Queryable } from '../db/index.js';
import { coerceError, KeelError, serializeError, type StoredError } from '../errors.js';
import { getVersionById, type Stage } from '../registry/index.js';
import { insertRun } from './run-store.js';
import { checkInput } from './triggers.js';

// Shared by every Keel process on one database: whoever holds it reads the mailboxes.
const mailPollerLockKey = 7_346_004;
/** Triggers read per tick (each read is one IMAP login); the rest wait for the next tick. */
const batchSize = 8;
/** Messages per read; when more are waiting the trigger is read again at the next tick. */
const messagesPerRead = 50;
/** A failing trigger (no grant, server down, bad settings) is read again at most this often. */
const failureBackoffMs = 60_000;
/** A read that hangs longer than this is abandoned (the connector's own timeouts come first). */
const readTimeoutMs = 120_000;
/** Message-IDs are kept this long before the newest message seen: longer than the re-read after a renumbering. */
const seenWindow = '7 days';

export interface MailPoller {
  start(): Promise<void>;
  /** Stops the loop, aborts reads in flight and waits for the tick in hand. */
  stop(): Promise<void>;
  /** Reads every due email trigger once and answers how many runs it started; exported for tests and the leader loop. */
  tick(now?: Date): Promise<number>;
}

export interface MailPollerOptions {
  tickMs: number;
  connectors: ConnectorRuntimeDeps;
  onError(message: string, error: unknown): void;
}

interface TriggerRow {
  workflow_id: string;
  stage: Stage;
  trigger_index: number;
  connector_id: string;
  input_expression: string | null;
  every_ms: number;
  /** Where the first read starts: `new` records the mailbox's position and runs nothing; `all` reads from the oldest message. */
  start_from: 'new' | 'all';
  uid_validity: string | null;
  last_uid: number | null;
  last_date: Date | null;
  last_error: StoredError | null;
}

const columns = `m.workflow_id, m.stage, m.trigger_index, m.connector_id, m.input_expression, m.every_ms, m.start_from,
  m.uid_validity, m.last_uid::float8 AS last_uid, m.last_date, m.last_error`;

/** What `fetch_new` answers (connectors/kinds/email.ts); the poller reads these fields, the messages pass on whole. */
const fetchedSchema = z.object({
  messages: z.array(z.looseObject({ uid: z.number().int().min(1), message_id: z.string().nullable() })),
  last_uid: z.number().int().min(0),
  uid_validity: z.string(),
  last_date: z.string().nullable(),
  reset: z.boolean(),
  more: z.boolean(),
});
type Fetched = z.output<typeof fetchedSchema>;

const name = (t: Pick<TriggerRow, 'workflow_id' | 'stage' | 'trigger_index'>) => `${t.workflow_id}/${t.stage} triggers[${t.trigger_index}]`;
const sameError = (a: StoredError | null, b: StoredError) => a?.code === b.code && a.message === b.message;

/** The poller: a leader loop around `tick`. */
export function createMailPoller(db: Db, options: MailPollerOptions): MailPoller {
  let timer: NodeJS.Timeout | undefined;
  let release: (() => Promise<void>) | null = null;
  let stopped = true;
  let aborter = new AbortController();
  let inHand: Promise<unknown> = Promise.resolve();

  async function tick(now = new Date()): Promise<number> {
    const due = await claimDue(db, now);
    const started = await Promise.all(due.map((trigger) => pollOne(trigger, now)));
    return started.reduce((a, b) => a + b, 0);
  }

  /** Reads one trigger's mailbox and starts its runs; a failure is recorded on the trigger, never thrown. */
  async function pollOne(trigger: TriggerRow, now: Date): Promise<number> {
    let fetched: Fetched;
    try {
      const result = await invokeAction(options.connectors, {
        workflowId: trigger.workflow_id, connectorId: trigger.connector_id, action: 'fetch_new', input: cursorInput(trigger),
        actor: `trigger:email:${name(trigger)}`,
        idempotencyKey: `email:${trigger.workflow_id}:${trigger.stage}:${trigger.trigger_index}:${now.toISOString()}`,
        signal: AbortSignal.any([aborter.signal, AbortSignal.timeout(readTimeoutMs)]),
        // Reading has no side effect, so a sandbox stage reads like production does.
        intercept: trigger.stage === 'sandbox',
      });
      fetched = fetchedSchema.parse(result.output);
    } catch (error) {
      // Stopping aborts the reads in flight: that is no failure of the trigger.
      if (!aborter.signal.aborted) await recordFailure(trigger, serializeError(error), now);
      return 0;
    }
    let outcome: Awaited<ReturnType<typeof startRuns>>;
    try {
      outcome = await startRuns(db, trigger, fetched, now);
    } catch (error) {
      // Nothing was saved: the next read of this trigger fetches the same messages again.
      options.onError(`email trigger ${name(trigger)} could not start its runs`, serializeError(error));
      return 0;
    }
    const { started, skipped } = outcome;
    for (const skip of skipped) {
      // The reason names fields of the contract (or the JSONata error's code), never the message's content.
      options.onError(`email trigger ${name(trigger)}: message uid ${skip.uid} skipped, no run started`, skip.error);
    }
    return started;
  }

  async function recordFailure(trigger: TriggerRow, error: StoredError, now: Date): Promise<void> {
    const retryAt = new Date(now.getTime() + Math.max(trigger.every_ms, failureBackoffMs));
    const updated = await db.query(
      `UPDATE mail_triggers SET last_error = $5::jsonb, next_poll_at = greatest(next_poll_at, $6)
        WHERE workflow_id = $1 AND stage = $2 AND trigger_index = $3 AND connector_id = $4`,
      [trigger.workflow_id, trigger.stage, trigger.trigger_index, trigger.connector_id, JSON.stringify(error), retryAt],
    );
    // Once per change: a trigger refused every minute is one log line until its reason changes.
    if (updated.rowCount > 0 && !sameError(trigger.last_error, error)) {
      options.onError(`email trigger ${name(trigger)} cannot read connector ${trigger.connector_id}`, error);
    }
  }

  async function loop(): Promise<void> {
    if (stopped) return;
    try {
      release ??= await db.tryLeaderLock(mailPollerLockKey);
      if (release) {
        inHand = tick();
        await inHand;
      }
    } catch (error) {
      options.onError('mail poller tick failed', coerceError(error));
    }
    if (!stopped) timer = setTimeout(() => void loop(), options.tickMs);
  }

  return {
    tick,
    async start() {
      stopped = false;
      aborter = new AbortController();
      await loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      aborter.abort();
      await inHand.catch(() => undefined);
      await release?.();
      release = null;
    },
  };
}

/**
 * Takes the due triggers of running (not paused) deployments and moves each one's next read on by
 * its interval before reading, so another poller does not read the same mailbox meanwhile. A paused
 * stage's triggers stay due, whatever its on_pause.triggers says (the mailbox already queues the
 * mail), and so do those whose connector is paused (the kill switch: nothing is read through it):
 * the mail waits in the mailbox and runs after the resume.
 */
async function claimDue(db: Db, now: Date): Promise<TriggerRow[]> {
  return db.transaction(async (tx) => {
    const due = await tx.query<TriggerRow>(
      `SELECT ${columns} FROM mail_triggers m
        JOIN deployments d ON d.workflow_id = m.workflow_id AND d.stage = m.stage
       WHERE m.next_poll_at <= $1 AND NOT d.paused AND NOT EXISTS (SELECT 1 FROM connectors c WHERE c.id = m.connector_id AND c.paused)
       ORDER BY m.next_poll_at LIMIT ${batchSize} FOR UPDATE OF m SKIP LOCKED`, [now],
    );
    for (const t of due.rows) {
      await tx.query(
        `UPDATE mail_triggers SET next_poll_at = $4::timestamptz + every_ms * interval '1 millisecond', last_polled_at = $4
          WHERE workflow_id = $1 AND stage = $2 AND trigger_index = $3`,
        [t.workflow_id, t.stage, t.trigger_index, now],
      );
    }
    return due.rows;
  });
}

/**
 * The stored cursor as `fetch_new` takes it. None yet: a `start: new` trigger asks for the mailbox's
 * newest position (no message comes back, and the cursor saved from it makes the next read start
 * there); a `start: all` trigger reads from the oldest message.
 */
function cursorInput(t: TriggerRow): Record<string, unknown> {
  return {
    limit: messagesPerRead,
    from: t.start_from === 'new' ? 'newest' : 'oldest',
    ...(t.uid_validity !== null ? { after_uid: t.last_uid ?? 0, uid_validity: t.uid_validity } : {}),
    ...(t.last_date ? { last_date: t.last_date.toISOString() } : {}),
  };
}

interface Skipped {
  uid: number;
  error: StoredError;
}

/**
 * Starts one run per message and saves the cursor, in one transaction. When the trigger moved while
 * its mailbox was read (a second leader saved a cursor, or a redeploy pointed it at another
 * connector), that newer state wins and nothing is started here: the runs are, or will be, made by
 * whoever moved it. A message whose input breaks the contract is skipped and counted, not retried.
 */
async function startRuns(db: Db, read: TriggerRow, fetched: Fetched, now: Date): Promise<{ started: number; skipped: Skipped[] }> {
  return db.transaction(async (tx) => {
    const found = await tx.query<TriggerRow & { version_id: string; paused: boolean }>(
      `SELECT ${columns}, d.version_id, d.paused FROM mail_triggers m
        JOIN deployments d ON d.workflow_id = m.workflow_id AND d.stage = m.stage
       WHERE m.workflow_id = $1 AND m.stage = $2 AND m.trigger_index = $3 FOR UPDATE OF m`,
      [read.workflow_id, read.stage, read.trigger_index],
    );
    const t = found.rows[0];
    const moved = !t || t.connector_id !== read.connector_id || t.uid_validity !== read.uid_validity || t.last_uid !== read.last_uid;
    // Paused while its mailbox was read: the cursor stays, so the mail runs after the resume.
    if (moved || t.paused) return { started: 0, skipped: [] };
    const version = await getVersionById(tx, t.version_id);
    let started = 0;
    const skipped: Skipped[] = [];
    for (const message of fetched.messages) {
      if (message.message_id !== null && (await ranBefore(tx, t, message.message_id))) continue;
      let input: unknown;
      try {
        input = t.input_expression === null ? message : await mapMessage(t.input_expression, message, name(t));
        checkInput(version, input);
      } catch (error) {
        skipped.push({ uid: message.uid, error: serializeError(error) });
        continue;
      }
      const created = await insertRun(tx, {
        workflowId: t.workflow_id, versionId: version.id, stage: t.stage, trigger: 'email', input,
        firstStep: version.definition.steps[0]?.id ?? null,
        dedupeKey: `email:${t.workflow_id}:${t.stage}:${t.connector_id}:${fetched.uid_validity}:${message.uid}`,
      });
      if (!created.deduplicated) started++;
      if (message.message_id !== null) {
        await tx.query(
          `INSERT INTO mail_trigger_messages (workflow_id, stage, connector_id, message_id, run_id, seen_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING`,
          [t.workflow_id, t.stage, t.connector_id, message.message_id, created.run.id, now],
        );
      }
    }
    const lastSkipped = skipped.at(-1);
    await tx.query(
      `UPDATE mail_triggers SET uid_validity = $4, last_uid = $5, last_date = $6, last_error = NULL,
         next_poll_at = CASE WHEN $7::boolean THEN $8::timestamptz ELSE next_poll_at END,
         skipped_count = skipped_count + $9, last_skipped = coalesce($10::jsonb, last_skipped)
       WHERE workflow_id = $1 AND stage = $2 AND trigger_index = $3`,
      [t.workflow_id, t.stage, t.trigger_index, fetched.uid_validity, fetched.last_uid, fetched.last_date, fetched.more, now,
        skipped.length, lastSkipped ? JSON.stringify({ ...lastSkipped, uid_validity: fetched.uid_validity, at: now.toISOString() }) : null],
    );
    if (fetched.last_date !== null) {
      await tx.query(
        `DELETE FROM mail_trigger_messages WHERE workflow_id = $1 AND stage = $2 AND connector_id = $3
            AND seen_at < least($4::timestamptz, now()) - interval '${seenWindow}'`,
        [t.workflow_id, t.stage, t.connector_id, fetched.last_date],
      );
    }
    return { started, skipped };
  });
}

/**
 * Whether a message with this Message-ID already started a run of this workflow and stage from this
 * connector. It matters after a UIDVALIDITY change, when recent mail is read again under new UIDs.
 */
async function ranBefore(tx: Queryable, t: TriggerRow, messageId: string): Promise<boolean> {
  const r = await tx.query(
    `SELECT 1 FROM mail_trigger_messages WHERE workflow_id = $1 AND stage = $2 AND connector_id = $3 AND message_id = $4`,
    [t.workflow_id, t.stage, t.connector_id, messageId],
  );
  return r.rows.length > 0;
}

type Compiled = ReturnType<typeof jsonata>;
const compiled = new Map<string, Compiled>();

/** The trigger's `input` (JSONata over { message }); evaluated, never executed. */
async function mapMessage(expression: string, message: unknown, where: string): Promise<unknown> {
  let program = compiled.get(expression);
  if (!program) {
    program = jsonata(expression);
    compiled.set(expression, program);
  }
  try {
    const value: unknown = await program.evaluate({ message });
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  } catch (error) {
    // JSONata's messages can quote the data they failed on; the code and position say enough.
    const facts = error !== null && typeof error === 'object' ? (error as { code?: unknown; position?: unknown }) : {};
    const at = typeof facts.position === 'number' ? ` at character ${facts.position}` : '';
    throw new KeelError('invalid_input', `${where}.email.input: JSONata evaluation failed (${String(facts.code ?? 'error')}${at}).`, {
      retriable: false, hint: 'Fix the trigger\'s `input` expression; this message is skipped, later ones still run.',
    });
  }
}
