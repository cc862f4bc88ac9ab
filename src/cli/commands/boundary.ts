// `keel boundary suggest`: where a workflow's confidence threshold could sit, from what its
// reviewers decided. With --apply the workflow file is rewritten (comments kept) and deployed as a
// new version through the same API as `keel deploy`: a deployed version is never changed in place.
import { readFile, writeFile } from 'node:fs/promises';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { ApiProblem, seg } from '../api-client.js';
import { stageNames, type BoundarySuggestion, type DeployResult } from '../api-types.js';
import { exitCodes, oneOf, requireOption, UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { jsonAnswer, printJson, printProblem } from '../output.js';

const usage = 'keel boundary suggest WORKFLOW --precision 0.98 [--step ID] [--confidence 0.95] [--apply FILE [--stage S]]';

export const boundarySuggestCommand: CommandSpec = {
  path: ['boundary', 'suggest'],
  usage,
  summary: 'Suggest a confidence threshold from decided reviews; --apply writes it into the workflow file and deploys a new version',
  options: {
    precision: { type: 'string', value: 'P', description: 'target precision of what goes straight through, between 0 and 1 (e.g. 0.98)' },
    step: { type: 'string', value: 'ID', description: 'the step whose threshold to suggest (default: every review; applied to the configured or first classify/model step)' },
    confidence: { type: 'string', value: 'C', description: 'confidence of the precision lower bound (default 0.95)' },
    apply: { type: 'string', value: 'FILE', description: "write the threshold into FILE (the approval boundary's 'confidence >= X' rule, else the step's min_confidence) and deploy it as a new version" },
    stage: { type: 'string', value: 'S', description: `with --apply, the stage to point at the new version (${stageNames.join('|')}; default testing)` },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const workflow = ctx.args[0] ?? '';
    const precision = fraction(requireOption(ctx, 'precision', usage), '--precision');
    const confidenceText = ctx.string('confidence');
    const file = ctx.string('apply');
    const stage = oneOf(ctx.string('stage') ?? 'testing', stageNames, '--stage', usage);
    if (ctx.string('stage') !== undefined && file === undefined) throw new UsageError('--stage only goes with --apply', usage);
    const api = await ctx.api();
    const s = await api.get<BoundarySuggestion>(`/api/workflows/${seg(workflow)}/boundary/suggestion`, {
      precision, step: ctx.string('step'), confidence_level: confidenceText === undefined ? undefined : fraction(confidenceText, '--confidence'),
    });
    if (file === undefined) {
      if (ctx.json) return jsonAnswer(ctx.io, s);
      for (const line of suggestionLines(s)) ctx.io.out(line);
      return exitCodes.ok;
    }
    if (!ctx.json) for (const line of suggestionLines(s)) ctx.io.out(line);
    if (s.threshold === null) {
      ctx.io.err(`error: no threshold to apply; ${file} is unchanged`);
      return exitCodes.error;
    }
    return apply(ctx, { file, workflow, step: ctx.string('step'), currentStep: s.current?.step, threshold: s.threshold, stage, suggestion: s });
  },
};

function fraction(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`${what} must be a number between 0 and 1 (exclusive); got "${text}"`, usage);
  return n;
}

/** What a person reads: the threshold, how sure it is, what it covers, and what runs today. */
export function suggestionLines(s: BoundarySuggestion): string[] {
  const level = `${+(s.confidence_level * 100).toFixed(2)}% confidence, ${s.method}`;
  const current = s.current ? `${s.current.min_confidence} (step ${s.current.step}, production v${s.current.version})` : 'none set in the production version';
  const on = `${s.n} decided reviews (${s.approved} approved, ${s.overridden} edited or rejected)`;
  if (s.threshold === null) {
    return [
      `no threshold of ${s.workflow_id}${s.step ? ` (step ${s.step})` : ''} reaches precision ${s.target_precision} at ${level}, on ${on}`,
      `  current threshold      ${current}`,
      'hint: lower --precision, or decide more reviews (a sandbox deployment sends every output to review)',
    ];
  }
  return [
    `suggested threshold for ${s.workflow_id}${s.step ? ` (step ${s.step})` : ''}: ${s.threshold}`,
    `  precision lower bound  ${s.precision_lower_bound.toFixed(4)} (${level}; target ${s.target_precision})`,
    `  observed precision     ${s.precision.toFixed(4)}`,
    `  coverage               ${(s.coverage * 100).toFixed(1)}% (${s.accepted} of ${s.n} at or above it)`,
    `  decided reviews        ${on}`,
    `  current threshold      ${current}`,
  ];
}

interface Apply {
  file: string;
  workflow: string;
  /** The step named with --step; without it the file's boundary rule, else the step the deployed version thresholds. */
  step: string | undefined;
  currentStep: string | undefined;
  threshold: number;
  stage: (typeof stageNames)[number];
  suggestion: BoundarySuggestion;
}

/** Rewrites the step's min_confidence in the file (keeping its comments and layout) and deploys it. */
async function apply(ctx: CommandContext, a: Apply): Promise<number> {
  let text: string;
  try {
    text = await readFile(a.file, 'utf8');
  } catch (error) {
    ctx.io.err(`error: cannot read ${a.file} (${error instanceof Error && 'code' in error ? String(error.code) : String(error)})`);
    return exitCodes.error;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    ctx.io.err(`error: ${a.file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    return exitCodes.invalid;
  }
  if (doc.get('id') !== a.workflow) {
    ctx.io.err(`error: ${a.file} defines workflow ${JSON.stringify(doc.get('id'))}, not ${a.workflow}; nothing changed`);
    return exitCodes.error;
  }
  const { autoThreshold, thresholdCondition } = await import('../../spec/index.js');
  const rules = doc.getIn(['approval', 'rules']);
  const rule = a.step === undefined || a.step === 'approval' ? autoThreshold((rules as { toJSON?: () => unknown } | undefined)?.toJSON?.()) : undefined;
  let changed: { where: string; before: unknown };
  if (rule) {
    // The boundary's own threshold rule is rewritten in place; no step's min_confidence is touched.
    changed = { where: `approval rule ${rule.index}`, before: rule.threshold };
    doc.setIn(['approval', 'rules', rule.index, 'when'], thresholdCondition(a.threshold));
  } else {
    const target = thresholdStep(doc, a.step ?? (a.currentStep === 'approval' ? undefined : a.currentStep));
    if (typeof target === 'string') {
      ctx.io.err(`error: ${a.file} ${target}; nothing changed`);
      return exitCodes.error;
    }
    changed = { where: `step ${String(target.get('id'))} min_confidence`, before: target.get('min_confidence') };
    target.set('min_confidence', a.threshold);
  }
  const source = doc.toString();
  await writeFile(a.file, source);
  let r: DeployResult;
  try {
    r = await (await ctx.api()).post<DeployResult>('/api/workflows/deploy', { source, source_name: a.file, stage: a.stage });
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    printProblem(ctx.io, ctx.json, error.problem);
    ctx.io.err(`${a.file} now sets ${changed.where} to ${a.threshold} but was not deployed; fix it and run keel deploy ${a.file}`);
    return ['invalid_workflow', 'invalid_input'].includes(error.problem.code) ? exitCodes.invalid : exitCodes.error;
  }
  if (ctx.json) {
    printJson(ctx.io, { suggestion: a.suggestion, applied: { file: a.file, where: changed.where, before: changed.before ?? null, threshold: a.threshold }, deploy: r });
    return exitCodes.ok;
  }
  ctx.io.out(`${a.file}: ${changed.where} ${changed.before ?? '(none)'} -> ${a.threshold}`);
  const v = `${r.workflow.id} v${r.version.number} (${r.version.id})`;
  ctx.io.out(r.version_created ? `stored new version ${v}` : `version unchanged: ${v} has the same content`);
  ctx.io.out(r.deployment_changed ? `${a.stage} now points at v${r.version.number}` : `${a.stage} unchanged: already points at v${r.version.number}`);
  if (a.stage !== 'production') ctx.io.out(`production is unchanged; promote with keel point ${a.workflow} --stage production --version ${r.version.number}`);
  return exitCodes.ok;
}

/** The classify or model step to put a min_confidence on, or why there is none. */
function thresholdStep(doc: ReturnType<typeof parseDocument>, step: string | undefined): YAMLMap | string {
  const steps = doc.get('steps');
  const items = isSeq(steps) ? steps.items.filter((i): i is YAMLMap => isMap(i)) : [];
  const thresholded = (i: YAMLMap) => i.get('kind') === 'classify' || i.get('kind') === 'model';
  const target = step !== undefined ? items.find((i) => i.get('id') === step) : items.find(thresholded);
  if (target && thresholded(target)) return target;
  return step !== undefined ? `has no classify or model step ${step}` : 'has no approval threshold rule and no classify or model step to put the threshold on';
}
