import { describe, expect, it } from 'vitest';
import { chainHash, eventBodyText, type EventBody } from './chain.js';
import { createChainWalker, type ChainRow, type HeadRow } from './verify.js';
import { genesisHash } from './types.js';

/** A well-linked chain of n events, as verification reads it. */
function chain(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = genesisHash;
  for (let seq = 1; seq <= n; seq++) {
    const fields: EventBody = {
      actor: `user${seq}`, action: 'thing:changed', subject_type: 'thing', subject_id: String(seq),
      before: seq > 1 ? { v: seq - 1 } : null, after: { v: seq }, data: { note: 'x' }, request_id: seq % 2 ? 'req-1' : null,
      at: `2025-01-01T00:00:0${seq % 10}.123Z`,
    };
    const body = eventBodyText(fields);
    const hash = chainHash(prev, seq, body);
    rows.push({ id: 100 + seq, seq, prev_hash: prev, hash, body, ...fields, at: `2025-01-01T00:00:0${seq % 10}.123000Z` });
    prev = hash;
  }
  return rows;
}

function headOf(rows: ChainRow[]): HeadRow {
  const last = rows.at(-1);
  return last ? { seq: last.seq, head_hash: last.hash!, prev_hash: last.prev_hash! } : { seq: 0, head_hash: genesisHash, prev_hash: genesisHash };
}

function run(rows: ChainRow[], head: HeadRow | null = headOf(rows), anchor?: { seq: number; hash: string }) {
  const walker = createChainWalker(anchor);
  for (const row of rows) {
    const bad = walker.check(row);
    if (bad) return { bad, checked: walker.checked };
  }
  return { bad: walker.finish(head ?? undefined), checked: walker.checked };
}

describe('the chain walker', () => {
  it('accepts an intact chain and an empty one', () => {
    expect(run(chain(5))).toEqual({ bad: undefined, checked: 5 });
    expect(run([])).toEqual({ bad: undefined, checked: 0 });
  });

  it('names an edited column (body untouched) as column_mismatch', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, actor: 'mallory' };
    expect(run(rows).bad).toMatchObject({ seq: 3, id: 103, problem: 'column_mismatch', detail: expect.stringContaining('actor') });
    const json = chain(5);
    json[1] = { ...json[1]!, after: { v: 99 } };
    expect(run(json).bad).toMatchObject({ seq: 2, problem: 'column_mismatch', detail: expect.stringContaining('after') });
    const time = chain(5);
    time[3] = { ...time[3]!, at: '2025-01-01T00:00:04.124000Z' };
    expect(run(time).bad).toMatchObject({ seq: 4, problem: 'column_mismatch', detail: expect.stringContaining('created_at') });
  });

  it('names an edited body or hash as hash_mismatch', () => {
    const rows = chain(5);
    rows[1] = { ...rows[1]!, body: rows[1]!.body.replace('user2', 'userX'), actor: 'userX' };
    expect(run(rows).bad).toMatchObject({ seq: 2, problem: 'hash_mismatch' });
  });

  it('names the event after a deleted one as seq_gap', () => {
    const rows = chain(5);
    rows.splice(2, 1);
    expect(run(rows).bad).toMatchObject({ seq: 4, id: 104, problem: 'seq_gap', detail: expect.stringContaining('event 3 is missing') });
  });

  it('names a deleted last event as head_mismatch', () => {
    const rows = chain(5);
    const head = headOf(rows);
    rows.pop();
    expect(run(rows, head)).toEqual({ checked: 4, bad: expect.objectContaining({ seq: 5, id: null, problem: 'head_mismatch' }) });
  });

  it('names an inserted event by the break it leaves behind it', () => {
    const rows = chain(5);
    // A forged event at seq 3, correctly linked to seq 2; the real events move up by one.
    const forgedBody = eventBodyText({ actor: 'mallory', action: 'thing:changed', subject_type: 'thing', subject_id: 'x', before: null, after: null, data: {}, request_id: null, at: '2025-01-01T00:00:03.000Z' });
    const forged: ChainRow = { id: 999, seq: 3, prev_hash: rows[1]!.hash, hash: chainHash(rows[1]!.hash!, 3, forgedBody), body: forgedBody, actor: 'mallory', action: 'thing:changed', subject_type: 'thing', subject_id: 'x', before: null, after: null, data: {}, request_id: null, at: '2025-01-01T00:00:03.000000Z' };
    const shifted = [...rows.slice(0, 2), forged, ...rows.slice(2).map((r) => ({ ...r, seq: r.seq + 1 }))];
    expect(run(shifted, { ...headOf(rows), seq: 6 }).bad).toMatchObject({ seq: 4, id: 103, problem: 'prev_hash_mismatch' });
  });

  it('names two swapped events as prev_hash_mismatch at the first of them', () => {
    const rows = chain(5);
    const a = rows[1]!;
    const b = rows[2]!;
    rows[1] = { ...b, seq: 2 };
    rows[2] = { ...a, seq: 3 };
    expect(run(rows).bad).toMatchObject({ seq: 2, id: 103, problem: 'prev_hash_mismatch' });
  });

  it('names a repeated seq as duplicate_seq', () => {
    const rows = chain(3);
    rows.splice(2, 0, { ...rows[1]!, id: 555 });
    expect(run(rows).bad).toMatchObject({ seq: 2, id: 555, problem: 'duplicate_seq' });
  });

  it('names an edited head as head_mismatch', () => {
    const rows = chain(3);
    expect(run(rows, { ...headOf(rows), head_hash: 'f'.repeat(64) }).bad).toMatchObject({ seq: 3, problem: 'head_mismatch' });
    expect(run(rows, null).bad).toMatchObject({ problem: 'head_mismatch', detail: expect.stringContaining('missing') });
  });

  it('holds the chain to an anchor kept from an earlier verify', () => {
    const rows = chain(5);
    const anchor = { seq: 4, hash: rows[3]!.hash! };
    expect(run(rows, headOf(rows), anchor).bad).toBeUndefined();
    // Rewritten from seq 2 on with every hash recomputed: consistent in itself, but not with the anchor.
    const rewritten = chain(5).map((r) => r);
    let prev = rewritten[0]!.hash!;
    for (const r of rewritten.slice(1)) {
      r.body = r.body.replace('thing:changed', 'thing:forged');
      r.action = 'thing:forged';
      r.prev_hash = prev;
      r.hash = chainHash(prev, r.seq, r.body);
      prev = r.hash;
    }
    expect(run(rewritten, headOf(rewritten)).bad).toBeUndefined();
    expect(run(rewritten, headOf(rewritten), anchor).bad).toMatchObject({ seq: 4, problem: 'anchor_mismatch' });
    // The tail deleted and the head moved back.
    const short = chain(3);
    expect(run(short, headOf(short), anchor).bad).toMatchObject({ seq: 4, id: null, problem: 'anchor_mismatch' });
  });
});
