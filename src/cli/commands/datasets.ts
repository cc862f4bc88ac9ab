// `keel datasets ...`: a workflow's labelled cases, grown from decided reviews.
import { seg } from '../api-client.js';
import type { AddedDatasetCase, DatasetCase } from '../api-types.js';
import { exitCodes, parseJsonOption, type CommandSpec } from '../command.js';
import { fold, jsonAnswer, table, time } from '../output.js';

const addUsage = 'keel datasets add-from-review REVIEW_ID [--dataset NAME] [--tag T[,T]] [--expected JSON]';

export const datasetsAddFromReviewCommand: CommandSpec = {
  path: ['datasets', 'add-from-review'],
  usage: addUsage,
  summary: "Add a decided review to its workflow's dataset: the run's input with what the person decided as expected (once per dataset)",
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' },
    tag: { type: 'string', value: 'T', description: 'tags for the case, comma-separated' },
    expected: { type: 'string', value: 'JSON', description: 'the expected output, instead of what the decision implies' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const reviewId = ctx.args[0] ?? '';
    const tagText = ctx.string('tag');
    const expectedText = ctx.string('expected');
    const body = {
      dataset: ctx.string('dataset'),
      tags: tagText === undefined ? undefined : tagText.split(',').map((t) => t.trim()).filter((t) => t !== ''),
      expected: expectedText === undefined ? undefined : parseJsonOption(expectedText, '--expected', addUsage),
    };
    const r = await (await ctx.api()).post<AddedDatasetCase>(`/api/reviews/${seg(reviewId)}/dataset-case`, body);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    const c = r.case;
    ctx.io.out(r.created
      ? `added case ${c.id} to ${c.workflow_id}/${c.dataset} from review ${reviewId}`
      : `review ${reviewId} is already case ${c.id} of ${c.workflow_id}/${c.dataset}; nothing changed`);
    ctx.io.out(`  expected  ${fold(c.expected, 160)}`);
    if (c.tags.length > 0) ctx.io.out(`  tags      ${c.tags.join(', ')}`);
    return exitCodes.ok;
  },
};

export const datasetsCasesCommand: CommandSpec = {
  path: ['datasets', 'cases'],
  usage: 'keel datasets cases WORKFLOW [--dataset NAME] [--limit N]',
  summary: "List the cases of a workflow's dataset, oldest first",
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' },
    limit: { type: 'string', value: 'N', description: 'at most this many (default 500, at most 5000)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const dataset = ctx.string('dataset') ?? 'default';
    const body = await (await ctx.api()).get<{ cases: DatasetCase[] }>(
      `/api/workflows/${seg(workflow)}/datasets/${seg(dataset)}/cases`, { limit: ctx.string('limit') },
    );
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.cases.length === 0) {
      ctx.io.out(`no cases in ${workflow}/${dataset} yet (keel datasets add-from-review REVIEW_ID adds a decided review)`);
      return exitCodes.ok;
    }
    const rows = body.cases.map((c) => [c.id, c.source, c.review_id ?? '', c.tags.join(','), time(c.created_at), fold(c.input, 40), fold(c.expected, 60)]);
    for (const line of table(['ID', 'SOURCE', 'REVIEW', 'TAGS', 'CREATED', 'INPUT', 'EXPECTED'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};
