// The connector kill switch: a person pauses a connector by hand, at once, and every action call
// through it is refused (`connector_paused`, in sandbox too: nothing goes through a paused
// connector, not even a recorded would-have-sent) until it is resumed. A run that reaches an action
// of a paused connector is held at that step (engine transitions holdForConnector) instead of
// retrying or failing; resuming releases exactly those runs. Email triggers reading through it
// wait (the mail stays in the mailbox). Pausing is an operation, not a settings change: it works on
// file-defined connectors too, and a reload of the file keeps it.
//
// A call that already passed the check when the switch is thrown goes on, like a request already on
// the wire; every call that starts after the pause committed is refused.
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getConnector, type ConnectorRow } from './connector-store.js';

/** The engine's wake-up channel (engine/run-store.ts runsChannel): released runs are ready at once. */
const runsChannel = 'keel_runs';

/** Seconds a caller refused by a paused connector is asked to wait (Retry-After): a person resumes it, so there is no estimate. */
const pausedRetryAfterMs = 60_000;

export interface ConnectorPauseOptions {
  /** Why: recorded on the connector, in the audit event, and in the refusal every caller gets. */
  reason?: string;
}

/**
 * Pauses or resumes a connector (the kill switch); pausing a paused connector, or resuming a running
 * one, changes nothing and records nothing. Audited as `connector:paused` / `connector:resumed`
 * with the reason; a resume also records how many held runs it released.
 */
export async function setConnectorPaused(
  db: Db, connectorId: string, paused: boolean, actor: string, options: ConnectorPauseOptions = {},
): Promise<ConnectorRow> {
  const reason = options.reason?.trim() || null;
  await db.transaction(async (tx) => {
    const r = await tx.query<{ paused: boolean }>(`SELECT paused FROM connectors WHERE id = $1 FOR UPDATE`, [connectorId]);
    if (!r.rows[0]) await getConnector(tx, connectorId);
    if (r.rows[0]!.paused === paused) return;
    if (paused) {
      await tx.query(`UPDATE connectors SET paused = true, paused_at = now(), paused_by = $2, pause_reason = $3 WHERE id = $1`, [connectorId, actor, reason]);
      await recordAudit(tx, { actor, action: 'connector:paused', subjectType: 'connector', subjectId: connectorId, data: { reason } });
      return;
    }
    await tx.query(`UPDATE connectors SET paused = false, paused_at = NULL, paused_by = NULL, pause_reason = NULL WHERE id = $1`, [connectorId]);
    const released = await releaseConnectorRuns(tx, connectorId);
    await recordAudit(tx, { actor, action: 'connector:resumed', subjectType: 'connector', subjectId: connectorId, data: { reason, released_runs: released } });
  });
  return getConnector(db, connectorId);
}

/** Puts the runs held at an action of this connector back in the queue, ready now, and wakes the workers. */
async function releaseConnectorRuns(tx: Queryable, connectorId: string): Promise<number> {
  const r = await tx.query(
    `UPDATE runs SET wait_reason = NULL, held_by = NULL, available_at = now(), updated_at = now() WHERE held_by = $1`,
    [`connector:${connectorId}`],
  );
  if (r.rowCount > 0) await tx.query(`SELECT pg_notify('${runsChannel}', '')`);
  return r.rowCount;
}

/** Refuses a call through a paused connector: the error the engine holds a run on, and a 503 with Retry-After at the edge. */
export function refuseWhenConnectorPaused(connector: ConnectorRow): void {
  if (!connector.paused) return;
  throw new KeelError('connector_paused', `Connector ${connector.id} is paused${connector.pause_reason ? ` (${connector.pause_reason})` : ''}; nothing goes through it until it is resumed.`, {
    retriable: false, retryAfterMs: pausedRetryAfterMs,
    hint: `Its owner or an admin resumes it with \`keel connectors resume ${connector.id}\`; runs held at its actions then go on.`,
    details: { connector: connector.id, paused_by: connector.paused_by, paused_at: connector.paused_at, reason: connector.pause_reason },
  });
}
