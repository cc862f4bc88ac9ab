// `keel prompts list|show|diff|label`: reading the instruction library and moving its labels.
import type { LibraryDiff, LibraryEntry, LibraryLabelMoved, LibraryVersion } from '../api-types.js';
import { exitCodes, oneOf, UsageError, type CommandSpec } from '../command.js';
import { diffLines, fold, jsonAnswer, table, time } from '../output.js';

const kinds = ['prompt', 'document'] as const;
const listUsage = 'keel prompts list [--kind prompt|document]';

export const promptsListCommand: CommandSpec = {
  path: ['prompts', 'list'],
  usage: listUsage,
  summary: 'List the instruction library: prompts and documents, their latest version and labels',
  options: { kind: { type: 'string', value: 'K', description: 'only prompts or only documents' } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const kind = ctx.string('kind');
    const body = await (await ctx.api()).get<{ entries: LibraryEntry[] }>('/api/prompts', { kind: kind === undefined ? undefined : oneOf(kind, kinds, '--kind', listUsage) });
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.entries.length === 0) {
      ctx.io.out('the library is empty (keel serve loads the prompts/ folder at start)');
      return exitCodes.ok;
    }
    const rows = body.entries.map((e) => [
      e.name, e.type ? `${e.kind} (${e.type})` : e.kind, `v${e.versions[0]?.number ?? 0}`,
      e.labels.map((l) => `${l.label}@v${l.version_number}`).join(', ') || '-', fold(e.summary.trim(), 60).replace(/^"|"$/g, ''),
    ]);
    for (const line of table(['NAME', 'KIND', 'LATEST', 'LABELS', 'SUMMARY'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

const showUsage = 'keel prompts show NAME[@REF]';

export const promptsShowCommand: CommandSpec = {
  path: ['prompts', 'show'],
  usage: showUsage,
  summary: 'Show one version of a library entry (REF: a label such as production, the default, or a number)',
  args: { min: 1, max: 1 },
  async run(ctx) {
    const [name = '', ref = 'production', extra] = (ctx.args[0] ?? '').split('@');
    if (name === '' || ref === '' || extra !== undefined) throw new UsageError(`"${ctx.args[0] ?? ''}" is not NAME or NAME@REF`, showUsage);
    const api = await ctx.api();
    const v = await api.get<LibraryVersion>('/api/prompts/version', { name, ref });
    if (ctx.json) return jsonAnswer(ctx.io, v);
    const { entries } = await api.get<{ entries: LibraryEntry[] }>('/api/prompts');
    const labels = entries.find((e) => e.name === v.name)?.labels.filter((l) => l.version_id === v.id).map((l) => l.label) ?? [];
    ctx.io.out(`${v.name} v${v.number} (${v.kind}, ${v.id})`);
    ctx.io.out(`labels: ${labels.join(', ') || '-'}`);
    ctx.io.out(`stored by ${v.created_by} at ${time(v.created_at)}${v.source_name ? ` from ${v.source_name}` : ''}`);
    ctx.io.out('');
    for (const line of v.source.replace(/\n$/, '').split('\n')) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const promptsDiffCommand: CommandSpec = {
  path: ['prompts', 'diff'],
  usage: 'keel prompts diff NAME FROM TO',
  summary: 'Show what changed between two versions of a library entry (numbers, labels or ids)',
  args: { min: 3, max: 3 },
  async run(ctx) {
    const [name = '', from = '', to = ''] = ctx.args;
    const d = await (await ctx.api()).get<LibraryDiff>('/api/prompts/diff', { name, from, to });
    if (ctx.json) return jsonAnswer(ctx.io, d);
    if (d.changes.length === 0) ctx.io.out(`no changes between v${d.from.number} and v${d.to.number}`);
    for (const line of diffLines(d.changes)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const promptsLabelCommand: CommandSpec = {
  path: ['prompts', 'label'],
  usage: 'keel prompts label NAME LABEL VERSION',
  summary: 'Point a label (production, staging, ...) of a library entry at a version (a number, or another label)',
  args: { min: 3, max: 3 },
  async run(ctx) {
    const [name = '', label = '', version = ''] = ctx.args;
    const r = await (await ctx.api()).post<LibraryLabelMoved>('/api/prompts/labels', { name, label, version });
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(r.changed ? `${r.name} ${r.label} now points at v${r.version_number} (${r.version_id})` : `${r.name} ${r.label} unchanged: already points at v${r.version_number}`);
    return exitCodes.ok;
  },
};
