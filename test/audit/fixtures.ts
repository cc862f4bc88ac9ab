// What the audit tests share: events recorded through the slice, tampering the way someone with
// database superuser rights would (the append-only trigger switched off for the statements).
import { recordAudit, type AuditEvent } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';

/** Records `n` events, each in its own transaction, actors alternating alice and bob. */
export async function recordEvents(db: Db, n: number, extra: Partial<AuditEvent> = {}): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await db.transaction((tx) => recordAudit(tx, {
      actor: i % 2 ? 'alice' : 'bob', action: 'thing:changed', subjectType: 'thing', subjectId: `t${i}`,
      before: { n: i - 1 }, after: { n: i }, ...extra,
    }));
  }
}

/** Runs statements with the append-only trigger disabled, as a tamperer with superuser rights could. */
export async function tamper(db: Db, ...statements: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    for (const s of statements) await tx.query(s);
    await tx.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
  });
}
