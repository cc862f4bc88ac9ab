// Where review events are announced. The targets live in keel.yaml (with their secrets in the
// environment); the table mirrors them so that queueing a notification is one INSERT ... SELECT in
// the transaction that changes the task, with no configuration threaded through every store call.
import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import type { ReviewEvent } from './events.js';

/** One configured webhook target, as keel.yaml's `notifications.webhooks` holds it. */
export interface NotificationWebhook {
  name: string;
  url: string;
  /** The environment variable its signing secret comes from (the secret itself never reaches the table). */
  secretEnv: string;
  events: readonly ReviewEvent[];
  roles: readonly string[];
}

interface TargetRow {
  name: string;
  url: string;
  events: string[];
  roles: string[];
}

export interface SyncResult {
  created: string[];
  updated: string[];
  removed: string[];
}

/**
 * Makes notification_targets equal to the configuration, in one transaction, auditing each change
 * (actor `keel:startup`). Messages already queued for a removed target are still delivered: they
 * were promised while it was configured.
 */
export async function syncNotificationTargets(db: Db, webhooks: readonly NotificationWebhook[], actor = 'keel:startup'): Promise<SyncResult> {
  return db.transaction(async (tx) => {
    const current = new Map((await tx.query<TargetRow>('SELECT name, url, events, roles FROM notification_targets FOR UPDATE')).rows.map((r) => [r.name, r]));
    const result: SyncResult = { created: [], updated: [], removed: [] };
    for (const hook of webhooks) {
      const wanted: TargetRow = { name: hook.name, url: hook.url, events: [...hook.events], roles: [...hook.roles] };
      const before = current.get(hook.name);
      current.delete(hook.name);
      if (before && sameTarget(before, wanted)) continue;
      await tx.query(
        `INSERT INTO notification_targets (name, kind, url, events, roles) VALUES ($1, 'webhook', $2, $3::text[], $4::text[])
         ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, events = EXCLUDED.events, roles = EXCLUDED.roles, updated_at = now()`,
        [wanted.name, wanted.url, wanted.events, wanted.roles],
      );
      await recordAudit(tx, {
        actor, action: before ? 'notification_target:updated' : 'notification_target:created', subjectType: 'notification_target', subjectId: hook.name,
        ...(before ? { before: { ...before } } : {}), after: { ...wanted },
      });
      (before ? result.updated : result.created).push(hook.name);
    }
    for (const stale of current.values()) {
      await tx.query('DELETE FROM notification_targets WHERE name = $1', [stale.name]);
      await recordAudit(tx, { actor, action: 'notification_target:removed', subjectType: 'notification_target', subjectId: stale.name, before: { ...stale } });
      result.removed.push(stale.name);
    }
    return result;
  });
}

function sameTarget(a: TargetRow, b: TargetRow): boolean {
  return a.url === b.url && sameList(a.events, b.events) && sameList(a.roles, b.roles);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The signing secret of each configured target, by URL (what a delivery row records). */
export function targetSecretsByUrl(webhooks: readonly NotificationWebhook[], secrets: Readonly<Record<string, string>>): Map<string, string | undefined> {
  return new Map(webhooks.map((w) => [w.url, secrets[w.secretEnv]]));
}
