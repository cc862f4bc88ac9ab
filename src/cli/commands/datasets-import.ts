// `keel datasets import`: a CSV or JSON Lines file becomes the next version of a workflow's dataset.
// The rows are checked here first (with a progress bar), so a bad file is answered with every bad
// line without sending anything; the server checks them again and stores all of them or none, in
// one request (the body limit, 1 MiB by default, holds tens of thousands of short rows).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { seg } from '../api-client.js';
import type { ImportedDatasetCases } from '../api-types.js';
import { exitCodes, oneOf, UsageError, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';
import { progressPrinter } from '../progress.js';

const usage = 'keel datasets import WORKFLOW FILE [--dataset NAME] [--tags T1,T2] [--format csv|jsonl]';

export const datasetsImportCommand: CommandSpec = {
  path: ['datasets', 'import'],
  usage,
  summary: "Import a CSV or JSON Lines file as the next version of a workflow's dataset: every row, or nothing (each bad line is named)",
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' },
    tags: { type: 'string', value: 'T1,T2', description: 'tags added to every case, comma-separated' },
    format: { type: 'string', value: 'csv|jsonl', description: 'the file format (default: from the extension, .csv or .jsonl/.ndjson)' },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [workflow, file] = [ctx.args[0]!, ctx.args[1]!];
    const { formatOf } = await import('../../models/index.js');
    const { readDatasetFile } = await import('../../evals/index.js');
    const formatText = ctx.string('format');
    const format = formatText !== undefined ? oneOf(formatText, ['csv', 'jsonl'] as const, '--format', usage) : formatOf(file);
    if (!format) throw new UsageError(`${file}: cannot tell the format from the extension; name it with --format csv or --format jsonl`, usage);
    const dataset = ctx.string('dataset') ?? 'default';
    const tags = (ctx.string('tags') ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    const content = await readText(file);
    const name = basename(file);
    const progress = progressPrinter(ctx.io, !ctx.json && process.stderr.isTTY === true);

    // Throws the problem listing every bad line ("line N: what is wrong"); main prints it and exits 1.
    const rows = readDatasetFile(content, format, name, { tags, onProgress: (done, total) => progress(name, { phase: 'validated', done, total }) });
    progress(name, { phase: 'stored', done: 0, total: rows.length });
    const body = { format, content, tags: tags.length > 0 ? tags : undefined, note: name };
    const r = await (await ctx.api()).post<ImportedDatasetCases>(`/api/workflows/${seg(workflow)}/datasets/${seg(dataset)}/import`, body);
    progress(name, { phase: 'stored', done: r.imported, total: r.imported });
    if (ctx.json) return jsonAnswer(ctx.io, r);
    const v = r.version;
    ctx.io.out(`imported ${r.imported} cases from ${name} into ${v.workflow_id}/${v.dataset}: version ${v.number} (${v.case_count} cases, sha256 ${v.content_hash.slice(0, 12)})`);
    return exitCodes.ok;
  },
};

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`${file}: cannot read it (${why})`, usage);
  }
  try {
    // Fatal: invalid bytes would otherwise become U+FFFD and quietly change the cases.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${file}: the file is not UTF-8 text; save it as UTF-8`, usage);
  }
}
