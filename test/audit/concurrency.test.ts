// Many writers at once: every event lands in one chain, seq 1..N without a gap or a fork, whether
// writers link in passing or readers link while they write.
import { afterEach, describe, expect, it } from 'vitest';
import { linkAuditChain, recordAudit, verifyAuditChain } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';

const writers = 8;
const perWriter = 50;

describe.each(testDatabases())('concurrent audit writers on $name', (database) => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it(`${writers} writers x ${perWriter} transactions make one chain, seq 1..${writers * perWriter}, while two readers link`, async () => {
    db = await database.open();
    const open = db;
    await open.query('CREATE TABLE audit_test_things (id serial PRIMARY KEY, writer int NOT NULL)');
    let writing = true;
    const linkers = [0, 1].map(async () => {
      while (writing) {
        await linkAuditChain(open);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        await open.transaction(async (tx) => {
          const r = await tx.query<{ id: number }>('INSERT INTO audit_test_things (writer) VALUES ($1) RETURNING id', [w]);
          await recordAudit(tx, { actor: `writer${w}`, action: 'thing:created', subjectType: 'thing', subjectId: String(r.rows[0]!.id), after: { writer: w, i } });
        });
      }
    }));
    writing = false;
    await Promise.all(linkers);
    const verdict = await verifyAuditChain(open);
    const total = writers * perWriter;
    expect(verdict).toMatchObject({ ok: true, checked: total, head: { seq: total } });
    const shape = await open.query<{ n: number; min: number; max: number; distinct: number; pending: number }>(
      `SELECT count(*)::int AS n, min(seq)::int AS min, max(seq)::int AS max, count(DISTINCT seq)::int AS distinct,
              count(*) FILTER (WHERE seq IS NULL)::int AS pending FROM audit_events`,
    );
    expect(shape.rows[0]).toEqual({ n: total, min: 1, max: total, distinct: total, pending: 0 });
    const perWriterCounts = await open.query<{ actor: string; n: number }>(`SELECT actor, count(*)::int AS n FROM audit_events GROUP BY actor ORDER BY actor`);
    expect(perWriterCounts.rows).toEqual(Array.from({ length: writers }, (_, w) => ({ actor: `writer${w}`, n: perWriter })));
  });
});
