// Real runs of a workflow with a model step (a real OpenAI-protocol server on loopback) and a review
// step, taken to known ends, then counted in the rollups by the tracer with a fake clock that places
// them on chosen days: two automated runs two days before "today", then today one run approved,
// one escalated then edited, one rejected, one failed and one automated whose answer needed a repair.
// A sixth run waits in the review queue. The expected figures are worked out from the runs' rows.
import { configSchema } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun, type RunRow, type RunStatus } from '../../src/engine/index.js';
import { createTracer, type Tracer } from '../../src/observe/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import type { FakeLlmServer } from '../support/fake-llm-server.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

export const day = 86_400_000;
/** Tokens each scripted answer reports, and the price per million the test model is configured with. */
export const tokens = { in: 120, out: 30, repairIn: 200, repairOut: 40 };
export const price = { inputPerMillion: 1000, outputPerMillion: 2000 };

export function models(llm: FakeLlmServer) {
  const config = configSchema.parse({
    models: {
      writer: {
        provider: 'openai-compatible', model: 'writer-1', baseUrl: `${llm.url}/v1`, timeoutMs: 5_000,
        retries: { maxAttempts: 1, backoffMs: 5 }, price,
      },
    },
  });
  return { configs: config.models, providerKeys: {} };
}

export const replies = `
id: replies
title: Customer replies
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input:
  type: object
  required: [question]
  properties: { question: { type: string }, review: { type: boolean }, fail: { type: boolean } }
metric: { name: replies sent without a person, unit: percent, baseline: 20, target: 50, measure: coverage_pct }
steps:
  - id: draft
    kind: model
    model: writer
    template: "Answer the customer: {{ input.question }}"
    output_schema: { type: object, required: [reply], properties: { reply: { type: string } } }
  - id: pick
    kind: route
    routes:
      - when: 'input.fail == true'
        to: broken
      - when: 'input.review == true'
        to: check
    default: end
  - id: check
    kind: review
    title: Check the reply
    show: steps.draft
    escalate_to: [approver]
    next: end
  - id: broken
    kind: transform
    expression: '$error("no reply possible")'
`;

export type Outcome = 'automated' | 'repaired' | 'approved' | 'escalated-edited' | 'rejected' | 'failed' | 'open';

export interface Fixture {
  /** Noon of "today" (a fixed day 10 days ahead of the real one, so no test runs across its midnight). */
  today: number;
  /** Midnight starting "today". */
  todayStart: number;
  /** The clock metrics are read at: 13:00 of "today". */
  now: Date;
  runs: Record<Exclude<Outcome, 'open'>, RunRow[]>;
  openRun: RunRow;
  versionId: string;
  tracer: Tracer;
}

const answer = (reply: string, tokensIn = tokens.in, tokensOut = tokens.out) => ({ text: JSON.stringify({ reply }), model: 'writer-1-2026', tokensIn, tokensOut });

async function runTo(db: Db, llm: FakeLlmServer, outcome: Outcome, n: number): Promise<RunRow> {
  if (outcome === 'repaired') llm.script('openai', { text: 'Sure! Here is a reply for you.', tokensIn: tokens.in, tokensOut: tokens.out }, answer(`reply ${n}`, tokens.repairIn, tokens.repairOut));
  else llm.script('openai', answer(`reply ${n}`));
  const input = { question: `question ${n}`, review: ['approved', 'escalated-edited', 'rejected', 'open'].includes(outcome), fail: outcome === 'failed' };
  const { run } = await startRun(db, { workflowId: 'replies', stage: 'production', trigger: 'manual', input });
  const ends: RunStatus[] = ['succeeded', 'failed', 'rejected', 'canceled'];
  if (!input.review) return waitForRun(db, run.id, ends);
  const waiting = await waitForRun(db, run.id, ['waiting']);
  if (outcome === 'open') return waiting;
  const [task] = await listReviews(db, { runId: run.id });
  const target = { reviewId: task!.id };
  if (outcome === 'escalated-edited') {
    await decideReview(db, { target, decision: 'escalate', comment: 'a lead should look', actor: 'ana@example.com' }, wakeRun);
    await new Promise((r) => setTimeout(r, 30));
    await decideReview(db, { target, decision: 'edit', output: { reply: 'better' }, actor: 'lea@example.com' }, wakeRun);
  } else if (outcome === 'approved') await decideReview(db, { target, decision: 'approve', actor: 'ana@example.com' }, wakeRun);
  else await decideReview(db, { target, decision: 'reject', comment: 'wrong tone', actor: 'ana@example.com' }, wakeRun);
  return waitForRun(db, run.id, ends);
}

/** Deploys `replies`, makes the runs and counts them; the tracer is returned stopped (drain it by hand). */
export async function buildFixture(db: Db, llm: FakeLlmServer): Promise<Fixture> {
  const todayStart = Math.floor(Date.now() / day) * day + 10 * day;
  const today = todayStart + day / 2;
  let placeAt = today - 2 * day;
  let skewFrom = Date.now();
  const tracer = createTracer({
    db, tickMs: 60_000, batch: 3, settleMs: 0,
    // Runs count at placeAt plus however long ago the batch began: the batch lands around noon of its day.
    clock: () => new Date(placeAt + (Date.now() - skewFrom)),
    onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
  });
  const deployed = await deploy(db, replies);
  const engine = testEngine(db, { models: models(llm) });
  await engine.startWorkers();
  const runs: Fixture['runs'] = { automated: [], repaired: [], approved: [], 'escalated-edited': [], rejected: [], failed: [] };
  let n = 0;
  let openRun: RunRow;
  try {
    const older = [await runTo(db, llm, 'automated', ++n), await runTo(db, llm, 'automated', ++n)];
    runs.automated.push(...older);
    skewFrom = Date.now();
    await tracer.drain();
    placeAt = today;
    skewFrom = Date.now();
    for (const outcome of ['approved', 'escalated-edited', 'rejected', 'failed', 'repaired'] as const) runs[outcome].push(await runTo(db, llm, outcome, ++n));
    openRun = await runTo(db, llm, 'open', ++n);
    skewFrom = Date.now();
    await tracer.drain();
  } finally {
    await engine.stop();
  }
  if (engine.errors.length > 0) throw new Error(`engine errors: ${JSON.stringify(engine.errors)}`);
  return { today, todayStart, now: new Date(todayStart + 13 * 3_600_000), runs, openRun, versionId: deployed.version.id, tracer };
}

/** Nearest-rank percentile of sorted values. */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}
