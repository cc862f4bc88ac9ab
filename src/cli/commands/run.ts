// `keel run`: starts a run by hand, and optionally follows it until it ends or waits for someone.
import { readFile } from 'node:fs/promises';
import { seg } from '../api-client.js';
import { stageNames, type RunAccepted } from '../api-types.js';
import { exitCodes, oneOf, parseJsonOption, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer, printJson } from '../output.js';
import { followRun, runExitCode, runSummary } from '../run-view.js';

const usage = 'keel run WORKFLOW [--input JSON | --input-file F] [--stage S] [--idempotency-key K] [--wait] [--follow]';

async function readInput(ctx: CommandContext): Promise<unknown> {
  const inline = ctx.string('input');
  const file = ctx.string('input-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give --input or --input-file, not both', usage);
  if (inline !== undefined) return parseJsonOption(inline, '--input', usage);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new UsageError(`cannot read --input-file ${file} (${reason})`, usage);
  }
  return parseJsonOption(text, `--input-file ${file}`, usage);
}

export const runCommand: CommandSpec = {
  path: ['run'],
  usage,
  summary: 'Start a run of a workflow by hand',
  options: {
    input: { type: 'string', value: 'JSON', description: 'the run input as JSON (default {})' },
    'input-file': { type: 'string', value: 'F', description: 'read the run input from a JSON file' },
    stage: { type: 'string', value: 'S', description: `stage whose deployed version runs (${stageNames.join('|')}; default production)` },
    'idempotency-key': { type: 'string', value: 'K', description: 'start at most one run for this key; a repeat returns the first run' },
    wait: { type: 'boolean', description: 'wait until the run ends or waits for a person' },
    follow: { type: 'boolean', description: 'like --wait, printing each step as it finishes' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    const stage = oneOf(ctx.string('stage') ?? 'production', stageNames, '--stage', usage);
    const input = await readInput(ctx);
    const key = ctx.string('idempotency-key');
    const api = (await ctx.api());
    const accepted = await api.post<RunAccepted>(`/api/workflows/${seg(id)}/runs`, { input, stage, ...(key ? { idempotency_key: key } : {}) });
    const follow = ctx.bool('follow');
    if (!follow && !ctx.bool('wait')) {
      if (ctx.json) return jsonAnswer(ctx.io, accepted);
      ctx.io.out(accepted.deduplicated
        ? `run ${accepted.run_id} already exists for this idempotency key (${accepted.status})`
        : `started run ${accepted.run_id} (${accepted.status})`);
      ctx.io.out(`follow it with: keel runs show ${accepted.run_id} --follow`);
      return exitCodes.ok;
    }
    if (!ctx.json) ctx.io.out(`${accepted.deduplicated ? 'following existing' : 'started'} run ${accepted.run_id}`);
    const detail = await followRun(api, accepted.run_id, ctx.io, follow && !ctx.json);
    if (ctx.json) printJson(ctx.io, detail);
    else for (const line of runSummary(detail)) ctx.io.out(line);
    return runExitCode(detail.run);
  },
};
