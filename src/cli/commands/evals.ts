// `keel eval run|list|show|compare|cancel`: a version against a dataset version in sandbox, with
// progress while it runs, its figures (pass rate with its interval, per-scorer results, cost and
// latency), its failed cases, and two runs compared case by case.
import { seg } from '../api-client.js';
import type { EvalComparison, EvalResult, EvalRun } from '../api-types.js';
import { exitCodes, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';
import { progressPrinter } from '../progress.js';

const runUsage = 'keel eval run WORKFLOW [--version V] [--dataset NAME] [--dataset-version N] [--concurrency N] [--no-wait]';

function positive(ctx: CommandContext, name: string, usage: string): number | undefined {
  const text = ctx.string(name);
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new UsageError(`--${name} must be a whole number of at least 1 (got ${text})`, usage);
  return Number(text);
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export const evalRunCommand: CommandSpec = {
  path: ['eval', 'run'],
  usage: runUsage,
  summary: 'Run a version against a dataset version in sandbox (actions recorded, never sent) and score every case',
  options: {
    version: { type: 'string', value: 'V', description: 'version number (3, v3) or id (default: the latest version)' },
    dataset: { type: 'string', value: 'NAME', description: "the dataset (default: the workflow file's evals.dataset)" },
    'dataset-version': { type: 'string', value: 'N', description: 'the dataset version (default: its latest)' },
    concurrency: { type: 'string', value: 'N', description: "cases in flight at once (default: the file's evals.concurrency, else 8)" },
    'no-wait': { type: 'boolean', description: 'start it and print its id instead of following its progress' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0]!;
    const api = await ctx.api();
    const body = {
      version: ctx.string('version'), dataset: ctx.string('dataset'),
      dataset_version: positive(ctx, 'dataset-version', runUsage), concurrency: positive(ctx, 'concurrency', runUsage),
    };
    let run = await api.post<EvalRun>(`/api/workflows/${seg(workflow)}/evals`, body);
    if (!ctx.bool('no-wait')) {
      const progress = progressPrinter(ctx.io, !ctx.json && process.stderr.isTTY === true);
      const name = `${workflow} v${run.version_number}`;
      while (run.status === 'running') {
        progress(name, { phase: 'scored', done: run.done, total: run.total });
        await new Promise((resolve) => setTimeout(resolve, 500));
        run = await api.get<EvalRun>(`/api/workflows/${seg(workflow)}/evals/${seg(run.id)}`);
      }
      progress(name, { phase: 'scored', done: run.done, total: run.total });
    }
    if (ctx.json) return jsonAnswer(ctx.io, run);
    printRun(ctx, run);
    return run.status === 'finished' || run.status === 'running' ? exitCodes.ok : exitCodes.runFailed;
  },
};

export const evalListCommand: CommandSpec = {
  path: ['eval', 'list'],
  usage: 'keel eval list WORKFLOW',
  summary: "A workflow's eval runs, newest first",
  args: { min: 1, max: 1 },
  async run(ctx) {
    const r = await (await ctx.api()).get<{ evals: EvalRun[] }>(`/api/workflows/${seg(ctx.args[0]!)}/evals`);
    if (ctx.json) return jsonAnswer(ctx.io, r);
    if (r.evals.length === 0) ctx.io.out('no eval runs yet: keel eval run ' + ctx.args[0]);
    for (const e of r.evals) {
      const figure = e.summary ? `${pct(e.summary.passRate)} (95 % ${pct(e.summary.interval.low)}-${pct(e.summary.interval.high)})${e.summary.meetsThreshold ? ' meets' : ' below'} ${pct(e.threshold)}` : `${e.done}/${e.total}`;
      ctx.io.out(`${e.id}  v${e.version_number}  ${e.dataset}@${e.dataset_version}  ${e.status.padEnd(8)}  ${figure}  ${e.created_at}`);
    }
    return exitCodes.ok;
  },
};

const showUsage = 'keel eval show WORKFLOW EVAL_ID [--failed]';

export const evalShowCommand: CommandSpec = {
  path: ['eval', 'show'],
  usage: showUsage,
  summary: 'One eval run: its figures per scorer, and its failed cases with --failed',
  options: { failed: { type: 'boolean', description: 'list the cases that did not pass, with the scorers that failed them' } },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [workflow, id] = [ctx.args[0]!, ctx.args[1]!];
    const api = await ctx.api();
    const run = await api.get<EvalRun>(`/api/workflows/${seg(workflow)}/evals/${seg(id)}`);
    const failed = ctx.bool('failed')
      ? (await api.get<{ results: EvalResult[] }>(`/api/workflows/${seg(workflow)}/evals/${seg(id)}/results?only=failed&limit=5000`)).results
      : undefined;
    if (ctx.json) return jsonAnswer(ctx.io, failed ? { ...run, failed } : run);
    printRun(ctx, run);
    for (const r of failed ?? []) {
      const why = r.run_status === 'refused'
        ? `refused: ${String(r.error?.message ?? '')}`
        : (r.scores ?? []).filter((s) => !s.passed).map((s) => `${String(s.scorer)}: ${String(s.detail ?? 'failed')}`).join('; ');
      ctx.io.out(`  ${r.case_id}  ${r.run_id ?? '-'}  ${why}`);
    }
    return exitCodes.ok;
  },
};

export const evalCompareCommand: CommandSpec = {
  path: ['eval', 'compare'],
  usage: 'keel eval compare WORKFLOW A B',
  summary: 'Two finished eval runs case by case: the cases B regressed on (A passed them) and improved on',
  args: { min: 3, max: 3 },
  async run(ctx) {
    const [workflow, a, b] = [ctx.args[0]!, ctx.args[1]!, ctx.args[2]!];
    const c = await (await ctx.api()).get<EvalComparison>(`/api/workflows/${seg(workflow)}/evals/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    if (ctx.json) return jsonAnswer(ctx.io, c);
    const rate = (e: EvalRun) => (e.summary ? pct(e.summary.passRate) : '-');
    ctx.io.out(`A ${c.a.id} v${c.a.version_number}: ${rate(c.a)}   B ${c.b.id} v${c.b.version_number}: ${rate(c.b)}`);
    ctx.io.out(`regressed ${c.regressed.length}, improved ${c.improved.length}, unchanged ${c.unchanged.passed} passed and ${c.unchanged.failed} failed` +
      (c.onlyInA + c.onlyInB > 0 ? `; ${c.onlyInA} only in A, ${c.onlyInB} only in B` : ''));
    for (const [title, list] of [['regressed (passed in A, failed in B)', c.regressed], ['improved (failed in A, passed in B)', c.improved]] as const) {
      if (list.length === 0) continue;
      ctx.io.out(title + ':');
      for (const x of list) ctx.io.out(`  ${x.case_id}  ${[...x.a.failed_scorers, ...x.b.failed_scorers].join(', ') || '-'}  A ${x.a.run_id ?? '-'}  B ${x.b.run_id ?? '-'}`);
    }
    return exitCodes.ok;
  },
};

export const evalCancelCommand: CommandSpec = {
  path: ['eval', 'cancel'],
  usage: 'keel eval cancel WORKFLOW EVAL_ID',
  summary: 'Cancel a running eval run: no further case starts',
  args: { min: 2, max: 2 },
  async run(ctx) {
    const run = await (await ctx.api()).post<EvalRun>(`/api/workflows/${seg(ctx.args[0]!)}/evals/${seg(ctx.args[1]!)}/cancel`, {});
    if (ctx.json) return jsonAnswer(ctx.io, run);
    ctx.io.out(`${run.id} canceled at ${run.done}/${run.total} cases`);
    return exitCodes.ok;
  },
};

function printRun(ctx: CommandContext, run: EvalRun): void {
  ctx.io.out(`${run.id}  ${run.workflow_id} v${run.version_number} on ${run.dataset} v${run.dataset_version}: ${run.status}, ${run.done}/${run.total} cases scored`);
  if (run.error) ctx.io.out(`  error: ${String(run.error.message ?? '')}`);
  const s = run.summary;
  if (!s) return;
  ctx.io.out(`  pass rate ${pct(s.passRate)} (${run.passed} of ${run.total}); 95 % interval ${pct(s.interval.low)}-${pct(s.interval.high)}; ` +
    `threshold ${pct(run.threshold)}: ${s.meetsThreshold ? 'met (the lower bound reaches it)' : 'NOT met (the lower bound is below it)'}`);
  ctx.io.out(`  runs that did not succeed ${s.runErrors}; cost $${s.costUsd.toFixed(4)}; latency p50 ${s.latencyMs.p50 ?? '-'} ms, p95 ${s.latencyMs.p95 ?? '-'} ms; took ${(s.durationMs / 1000).toFixed(1)} s`);
  for (const scorer of s.scorers) {
    ctx.io.out(`  ${String(scorer.scorer)} (${String(scorer.kind)}): ${pct(Number(scorer.passRate))} of ${String(scorer.cases)} cases`);
    const label = scorer.label as { accuracy: number; macroF1: number; perLabel: Record<string, { precision: number; recall: number; f1: number; support: number }> } | undefined;
    if (!label) continue;
    ctx.io.out(`    accuracy ${pct(label.accuracy)}, macro-F1 ${label.macroF1.toFixed(3)}`);
    const worst = Object.entries(label.perLabel).filter(([, l]) => l.support > 0).sort((x, y) => x[1].f1 - y[1].f1).slice(0, 5);
    for (const [name, l] of worst) ctx.io.out(`    ${name}: precision ${l.precision.toFixed(2)}, recall ${l.recall.toFixed(2)}, F1 ${l.f1.toFixed(2)} (${l.support} cases)`);
  }
}
