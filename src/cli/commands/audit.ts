// `keel audit list | export | verify`: read the audit log, export it as JSON Lines, and check its
// hash chain. There is no command that edits or deletes: the log is append-only.
import { open } from 'node:fs/promises';
import type { AuditEvent, AuditPage, AuditVerdict } from '../api-types.js';
import type { Query } from '../api-client.js';
import { exitCodes, parseInteger, UsageError, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { jsonAnswer, table, time } from '../output.js';

const filterOptions: Record<string, OptionSpec> = {
  actor: { type: 'string', value: 'A', description: 'only events by this actor' },
  action: { type: 'string', value: 'X', description: 'only this action (noun:verb)' },
  'subject-type': { type: 'string', value: 'T', description: 'only events about this kind of object (workflow, review, user, ...)' },
  'subject-id': { type: 'string', value: 'I', description: 'only events about this object' },
  since: { type: 'string', value: 'TIME', description: 'only events at or after this ISO 8601 time' },
  until: { type: 'string', value: 'TIME', description: 'only events before this ISO 8601 time' },
  'after-seq': { type: 'string', value: 'N', description: 'only events after this seq (the cursor of a previous page)' },
};
const filterUsage = '[--actor A] [--action X] [--subject-type T] [--subject-id I] [--since TIME] [--until TIME] [--after-seq N]';

function isoTime(ctx: CommandContext, name: string, usage: string): string | undefined {
  const value = ctx.string(name);
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--${name} must be an ISO 8601 time with a zone, like 2025-01-31T09:30:00Z; got "${value}"`, usage);
  }
  return value;
}

/** The API query of the filter flags. */
function filterQuery(ctx: CommandContext, usage: string): Query {
  const afterSeq = ctx.string('after-seq');
  return {
    actor: ctx.string('actor'), action: ctx.string('action'),
    subject_type: ctx.string('subject-type'), subject_id: ctx.string('subject-id'),
    since: isoTime(ctx, 'since', usage), until: isoTime(ctx, 'until', usage),
    after_seq: afterSeq === undefined ? undefined : parseInteger(afterSeq, '--after-seq', 0, Number.MAX_SAFE_INTEGER, usage),
  };
}

const listUsage = `keel audit list ${filterUsage} [--limit N]`;

export const auditListCommand: CommandSpec = {
  path: ['audit', 'list'],
  usage: listUsage,
  summary: 'List audit events in chain order, filtered, a page at a time',
  options: { ...filterOptions, limit: { type: 'string', value: 'N', description: 'at most N events (1-1000; default 100)' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const limit = ctx.string('limit');
    const query = { ...filterQuery(ctx, listUsage), limit: limit === undefined ? undefined : parseInteger(limit, '--limit', 1, 1000, listUsage) };
    const page = await (await ctx.api()).get<AuditPage>('/api/audit', query);
    if (ctx.json) return jsonAnswer(ctx.io, page);
    if (page.events.length === 0) {
      ctx.io.out('no audit events');
      return exitCodes.ok;
    }
    const rows = page.events.map((e) => [String(e.seq), time(e.at), e.actor, e.action, `${e.subject_type}/${e.subject_id}`, e.request_id ?? '']);
    for (const line of table(['SEQ', 'AT', 'ACTOR', 'ACTION', 'SUBJECT', 'REQUEST'], rows)) ctx.io.out(line);
    if (page.next_after_seq !== null) ctx.io.out(`more: keel audit list --after-seq ${page.next_after_seq} (with the same filters)`);
    return exitCodes.ok;
  },
};

const exportUsage = `keel audit export ${filterUsage} [--out FILE]`;

export const auditExportCommand: CommandSpec = {
  path: ['audit', 'export'],
  usage: exportUsage,
  summary: 'Export every matching audit event as JSON Lines (one event per line), to stdout or a file',
  options: { ...filterOptions, out: { type: 'string', value: 'FILE', description: 'write to FILE (replaced) instead of stdout' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const query = filterQuery(ctx, exportUsage);
    const api = await ctx.api();
    const out = ctx.string('out');
    const file = out === undefined ? undefined : await open(out, 'w');
    let count = 0;
    try {
      const write = async (events: AuditEvent[]) => {
        if (file) await file.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
        else for (const e of events) ctx.io.out(JSON.stringify(e));
      };
      // Pages in chain order with the seq cursor, so an export of any size holds each event once.
      for (let afterSeq = query.after_seq;;) {
        const page = await api.get<AuditPage>('/api/audit', { ...query, after_seq: afterSeq, limit: 1000 });
        await write(page.events);
        count += page.events.length;
        if (page.next_after_seq === null) break;
        afterSeq = page.next_after_seq;
      }
    } finally {
      await file?.close();
    }
    if (out !== undefined) {
      if (ctx.json) return jsonAnswer(ctx.io, { file: out, events: count });
      ctx.io.out(`exported ${count} audit event${count === 1 ? '' : 's'} to ${out}`);
    }
    return exitCodes.ok;
  },
};

const verifyUsage = 'keel audit verify [--anchor SEQ:HASH]';

export const auditVerifyCommand: CommandSpec = {
  path: ['audit', 'verify'],
  usage: verifyUsage,
  summary: 'Check the audit hash chain: exit 0 when intact, 1 naming the first edited, inserted, reordered or deleted event',
  options: { anchor: { type: 'string', value: 'SEQ:HASH', description: 'a head printed by an earlier verify, kept elsewhere: the chain must still hold it' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const anchor = ctx.string('anchor');
    let query: Query = {};
    if (anchor !== undefined) {
      const m = /^(\d+):([0-9a-f]{64})$/.exec(anchor);
      if (!m) throw new UsageError(`--anchor must be SEQ:HASH as printed by keel audit verify; got "${anchor}"`, verifyUsage);
      query = { anchor_seq: parseInteger(m[1] ?? '', '--anchor seq', 1, Number.MAX_SAFE_INTEGER, verifyUsage), anchor_hash: m[2] };
    }
    const verdict = await (await ctx.api()).get<AuditVerdict>('/api/audit/verify', query);
    if (ctx.json) {
      jsonAnswer(ctx.io, verdict);
      return verdict.ok ? exitCodes.ok : exitCodes.error;
    }
    const bad = verdict.first_bad;
    if (verdict.ok || !bad) {
      const head = verdict.head;
      ctx.io.out(`audit chain intact: ${verdict.checked} event${verdict.checked === 1 ? '' : 's'} checked`);
      if (head) ctx.io.out(`head: ${head.seq}:${head.hash} (keep it elsewhere; later, keel audit verify --anchor ${head.seq}:${head.hash})`);
      return exitCodes.ok;
    }
    ctx.io.err(`error: audit chain broken at seq ${bad.seq}${bad.id === null ? '' : ` (event id ${bad.id})`}: ${bad.problem}`);
    ctx.io.err(`  ${bad.detail}`);
    ctx.io.err(`  ${verdict.checked} event${verdict.checked === 1 ? '' : 's'} before it verified`);
    ctx.io.err('hint: the log was changed outside Keel; compare with an export or a backup, from the event named above on');
    return exitCodes.error;
  },
};
