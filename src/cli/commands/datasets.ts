// `keel datasets ...`: a workflow's labelled cases in versions, grown from decided reviews, files
// (datasets-import.ts) and cases written by hand.
import { ApiProblem, seg } from '../api-client.js';
import type { AddedDatasetCase, DatasetCase, DatasetSummary, DatasetVersion, DatasetVersionCases } from '../api-types.js';
import { exitCodes, parseInteger, parseJsonOption, requireOption, type CommandSpec } from '../command.js';
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
    if (r.created) ctx.io.out(`  version   ${r.version}`);
    if (c.tags.length > 0) ctx.io.out(`  tags      ${c.tags.join(', ')}`);
    return exitCodes.ok;
  },
};

export const datasetsCasesCommand: CommandSpec = {
  path: ['datasets', 'cases'],
  usage: 'keel datasets cases WORKFLOW [--dataset NAME] [--version N] [--limit N] [--offset N]',
  summary: "List the cases of one version of a workflow's dataset (the latest by default), in the order they were added",
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' },
    version: { type: 'string', value: 'N', description: 'which version (default: the latest)' },
    limit: { type: 'string', value: 'N', description: 'at most this many (default 500, at most 5000)' },
    offset: { type: 'string', value: 'N', description: 'skip this many first (to page through a large version)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const dataset = ctx.string('dataset') ?? 'default';
    const versionText = ctx.string('version');
    const version = versionText === undefined ? 'latest' : String(parseInteger(versionText, '--version', 1, 999_999_999, this.usage));
    const api = await ctx.api();
    let body: DatasetVersionCases;
    try {
      body = await api.get<DatasetVersionCases>(
        `/api/workflows/${seg(workflow)}/datasets/${seg(dataset)}/versions/${version}/cases`, { limit: ctx.string('limit'), offset: ctx.string('offset') },
      );
    } catch (error) {
      // No version at all is an empty dataset, not an error; an unknown workflow still is (the list call says so).
      if (!(error instanceof ApiProblem) || error.problem.status !== 404 || version !== 'latest') throw error;
      await api.get(`/api/workflows/${seg(workflow)}/datasets`);
      if (ctx.json) return jsonAnswer(ctx.io, { version: null, cases: [] });
      ctx.io.out(`no cases in ${workflow}/${dataset} yet (keel datasets import, add or add-from-review adds some)`);
      return exitCodes.ok;
    }
    if (ctx.json) return jsonAnswer(ctx.io, body);
    const v = body.version;
    if (body.cases.length > 0) {
      const rows = body.cases.map((c) => [c.id, c.source, c.review_id ?? '', c.tags.join(','), time(c.created_at), fold(c.input, 40), fold(c.expected, 60)]);
      for (const line of table(['ID', 'SOURCE', 'REVIEW', 'TAGS', 'CREATED', 'INPUT', 'EXPECTED'], rows)) ctx.io.out(line);
    }
    const offset = Number(ctx.string('offset') ?? 0);
    const shown = body.cases.length === 0 ? 'none shown' : `showing ${offset + 1}-${offset + body.cases.length}`;
    ctx.io.out(`version ${v.number} of ${v.workflow_id}/${v.dataset}: ${v.case_count} cases (${shown}), made by ${v.change} (${v.created_by}, ${time(v.created_at)})`);
    return exitCodes.ok;
  },
};

export const datasetsListCommand: CommandSpec = {
  path: ['datasets', 'list'],
  usage: 'keel datasets list WORKFLOW',
  summary: "List a workflow's datasets with their latest version, case count and content hash",
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const body = await (await ctx.api()).get<{ datasets: DatasetSummary[] }>(`/api/workflows/${seg(workflow)}/datasets`);
    if (ctx.json) return jsonAnswer(ctx.io, body);
    if (body.datasets.length === 0) {
      ctx.io.out(`${workflow} has no datasets yet (keel datasets import ${workflow} FILE makes one)`);
      return exitCodes.ok;
    }
    const rows = body.datasets.map((d) => [d.dataset, String(d.latest.number), String(d.latest.case_count), d.latest.change, d.latest.content_hash.slice(0, 12), d.latest.created_by, time(d.latest.created_at)]);
    for (const line of table(['DATASET', 'VERSION', 'CASES', 'CHANGE', 'SHA256', 'BY', 'AT'], rows)) ctx.io.out(line);
    return exitCodes.ok;
  },
};

const handUsage = 'keel datasets add WORKFLOW --input JSON --expected JSON [--dataset NAME] [--tags T1,T2]';

export const datasetsAddCommand: CommandSpec = {
  path: ['datasets', 'add'],
  usage: handUsage,
  summary: "Add a case written by hand (an input object and its expected output) as the next version of a workflow's dataset",
  options: {
    input: { type: 'string', value: 'JSON', description: 'what the workflow is given: a JSON object' },
    expected: { type: 'string', value: 'JSON', description: 'what it should answer: any JSON value' },
    dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' },
    tags: { type: 'string', value: 'T1,T2', description: 'tags for the case, comma-separated' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const dataset = ctx.string('dataset') ?? 'default';
    const body = {
      input: parseJsonOption(requireOption(ctx, 'input', handUsage), '--input', handUsage),
      expected: parseJsonOption(requireOption(ctx, 'expected', handUsage), '--expected', handUsage),
      tags: (ctx.string('tags') ?? '').split(',').map((t) => t.trim()).filter((t) => t !== ''),
    };
    const r = await (await ctx.api()).post<{ case: DatasetCase; version: DatasetVersion }>(`/api/workflows/${seg(workflow)}/datasets/${seg(dataset)}/cases`, body);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`added case ${r.case.id} to ${workflow}/${dataset}: version ${r.version.number} (${r.version.case_count} cases)`);
    return exitCodes.ok;
  },
};

export const datasetsRemoveCommand: CommandSpec = {
  path: ['datasets', 'remove'],
  usage: 'keel datasets remove WORKFLOW CASE_ID [--dataset NAME]',
  summary: 'Remove a case: the next version is made without it (older versions keep it)',
  options: { dataset: { type: 'string', value: 'NAME', description: 'which dataset (default: default)' } },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [workflow, caseId] = [ctx.args[0]!, ctx.args[1]!];
    const dataset = ctx.string('dataset') ?? 'default';
    const r = await (await ctx.api()).delete<{ version: DatasetVersion }>(`/api/workflows/${seg(workflow)}/datasets/${seg(dataset)}/cases/${seg(caseId)}`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    ctx.io.out(`removed case ${caseId} from ${workflow}/${dataset}: version ${r.version.number} (${r.version.case_count} cases)`);
    return exitCodes.ok;
  },
};
