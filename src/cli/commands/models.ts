// `keel models ...`: the configured models, and the local classifiers Keel trains. Training and
// evaluation read local files and work on the database directly (training shows its progress);
// `list` asks the server, which knows which provider keys it holds (never what they are).
import { extname } from 'node:path';
import type { Model } from '../api-types.js';
import { exitCodes, requireOption, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer, table } from '../output.js';
import { progressPrinter } from '../progress.js';

export const modelsListCommand: CommandSpec = {
  path: ['models', 'list'],
  usage: 'keel models list',
  summary: 'List the configured models (provider, model id, key set or missing, fallbacks) and trained classifier versions',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const body = await (await ctx.api()).get<{ models: Model[] }>('/api/models');
    if (ctx.json) return jsonAnswer(ctx.io, body);
    const rows = body.models.map((m) => [
      m.name, m.provider, m.model_id ?? m.dataset ?? '', m.key === 'missing' ? `missing (${m.key_env})` : m.key,
      m.fallbacks.join(', '), m.versions.length > 0 ? `${m.versions.at(-1)!.id} (${m.versions.length})` : m.provider === 'classifier' ? 'not trained' : '',
    ]);
    for (const line of table(['NAME', 'PROVIDER', 'MODEL / DATASET', 'KEY', 'FALLBACKS', 'LATEST VERSION'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

export const modelsTrainCommand: CommandSpec = {
  path: ['models', 'train'],
  usage: 'keel models train [NAME] [--force]',
  summary: 'Train the configured classifiers (or NAME) from their labelled files; a file already trained is skipped unless --force',
  options: { force: { type: 'boolean', description: 'train again even when this file already has a version' } },
  args: { min: 0, max: 1 },
  async run(ctx) {
    const { trainClassifiersLocally } = await import('../../app.js');
    const config = ctx.loadConfig();
    const trained = await trainClassifiersLocally(config, ctx.args, {
      force: ctx.bool('force'), onProgress: progressPrinter(ctx.io, !ctx.json && process.stderr.isTTY === true),
    });
    if (ctx.json) return jsonAnswer(ctx.io, { trained: trained.map((t) => ({ name: t.name, created: t.created, version: t.version })) });
    if (trained.length === 0) ctx.io.out('no classifier models are configured (add one under models: in keel.yaml with provider: classifier)');
    for (const t of trained) {
      const info = t.version.info as { trainingMs?: number; rows?: number; features?: number };
      ctx.io.out(t.created
        ? `${t.name}: trained ${t.version.id} on ${info.rows ?? '?'} rows, ${t.version.labels.length} labels, ${info.features ?? '?'} features in ${((info.trainingMs ?? 0) / 1000).toFixed(1)} s (${Math.round(t.version.artifactBytes / 1024)} KiB)`
        : `${t.name}: ${t.version.id} already holds this file (use --force to train again)`);
    }
    return exitCodes.ok;
  },
};

export const modelsEvalCommand: CommandSpec = {
  path: ['models', 'eval'],
  usage: 'keel models eval NAME --data FILE [--version N] [--json]',
  summary: 'Measure a trained classifier on a labelled CSV or JSONL file: accuracy, macro-F1, expected calibration error, per label',
  options: {
    data: { type: 'string', value: 'FILE', description: 'labelled CSV or JSONL file (the model\'s text and label columns)' },
    version: { type: 'string', value: 'N', description: 'the classifier version (the latest when absent)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    return evaluate(ctx, ctx.args[0]!, requireOption(ctx, 'data', this.usage));
  },
};

async function evaluate(ctx: CommandContext, name: string, file: string): Promise<number> {
  const [{ withLocalDb }, models] = await Promise.all([import('../../app.js'), import('../../models/index.js')]);
  const config = ctx.loadConfig();
  const model = config.models[name];
  const columns = model?.provider === 'classifier' ? { textColumn: model.textColumn, labelColumn: model.labelColumn } : { textColumn: 'text', labelColumn: 'label' };
  const rows = await models.readLabelledFile(file, columns);
  const versionText = ctx.string('version');
  const version = versionText === undefined ? undefined : Number(versionText);
  const { version: v, classifier } = await withLocalDb(config, (db) => models.loadClassifier(db, name, version));
  const result = models.evaluateClassifier(classifier, rows);
  if (ctx.json) return jsonAnswer(ctx.io, { model: name, version: v.id, data: file, format: extname(file).slice(1), ...result });
  ctx.io.out(`${v.id} on ${file} (${result.n} rows)`);
  ctx.io.out(`  accuracy                     ${result.accuracy.toFixed(4)}`);
  ctx.io.out(`  macro-F1                     ${result.macroF1.toFixed(4)}`);
  ctx.io.out(`  expected calibration error   ${result.ece.toFixed(4)}`);
  const worst = [...result.perLabel].filter((l) => l.support > 0).sort((a, b) => a.f1 - b.f1).slice(0, 5);
  if (worst.length > 0) {
    ctx.io.out('  weakest labels:');
    for (const line of table(['LABEL', 'PRECISION', 'RECALL', 'F1', 'SUPPORT'], worst.map((l) => [l.label, l.precision.toFixed(3), l.recall.toFixed(3), l.f1.toFixed(3), String(l.support)]))) ctx.io.out(`    ${line}`);
  }
  return exitCodes.ok;
}
