// What the audit tests share: events recorded through the slice, tampering the way someone with
// database superuser rights would (the append-only trigger switched off for the statement), and an
// HTTP app that mounts the audit routes the way the edge does.
import { recordAudit, registerAuditRoutes, type AuditEvent } from '../../src/audit/index.js';
import { createApiApp, type ApiApp } from '../../src/contract/index.js';
import type { Db } from '../../src/db/index.js';
import { KeelError } from '../../src/errors.js';
import { problemResponse } from '../../src/http/errors.js';

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

/** The audit routes on an app built like the edge's: zod failures become 422 problems. */
export function auditApp(db: Db): ApiApp {
  const app = createApiApp((result) => {
    if (result.success) return;
    throw new KeelError('invalid_input', `The request ${result.target} is invalid.`, {
      problems: result.error.issues.map((i) => ({ path: [result.target, ...i.path.map(String)].join('.'), message: i.message })),
    });
  });
  app.onError((error, c) => problemResponse(c, error, () => {}));
  app.use('*', async (c, next) => {
    c.set('actor', 'test');
    await next();
  });
  registerAuditRoutes(app, db);
  app.get('/openapi.json', (c) => c.json(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Keel', version: 'test' } })));
  return app;
}
