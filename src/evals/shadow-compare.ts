// Comparing one pair once both its runs ended: the compared value of the live run and of its shadow,
// and the answer people gave on the live run's review of the compared step (or the approval boundary
// that judged it). Approve means the person accepted the live output; edit means their answer is the
// edited output; reject means neither answer is known to be right, so it counts apart.
import type { Db } from '../db/index.js';
import { evaluateJsonata } from '../engine/index.js';
import { KeelError } from '../errors.js';
import { listReviews, type ReviewRow } from '../review/index.js';
import { APPROVAL } from '../spec/index.js';
import type { ShadowCompare, ShadowPairRow, ShadowRunRow } from './shadow-runs.js';
import { sameValue } from './scorers/values.js';

/** Run statuses after which a run's output no longer changes (outcome_unknown waits for a person, but its answer is made). */
export const endedStatuses = ['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'];
const peopleDecisions = new Set(['approved', 'edited', 'rejected']);

interface EndedPair {
  live_run_id: string;
  trial_run_id: string | null;
  /** Set at copy time when the candidate's input contract refused the event. */
  refused: string | null;
  error: { code: string; message: string } | null;
  live_status: string;
  live_input: unknown;
  live_state: Record<string, unknown>;
  live_latency_ms: number | null;
  live_cost_usd: number | null;
  shadow_status: string | null;
  shadow_state: Record<string, unknown> | null;
  shadow_error: { code: string; message: string } | null;
  shadow_latency_ms: number | null;
  shadow_cost_usd: number | null;
}

type Compared = Omit<ShadowPairRow, 'shadow_id' | 'trial_run_id' | 'position' | 'status'>;

/** Compares the pairs of a shadow whose runs both ended since the last pass; returns how many. */
export async function compareEnded(db: Db, shadow: ShadowRunRow): Promise<number> {
  const ended = await db.query<EndedPair>(
    `SELECT p.live_run_id, p.trial_run_id, p.shadow_status AS refused, p.error,
            l.status AS live_status, l.input AS live_input, l.state AS live_state,
            extract(epoch FROM coalesce(l.finished_at, l.updated_at) - l.created_at) * 1000 AS live_latency_ms,
            (SELECT coalesce(sum(m.cost_usd), 0) FROM model_calls m WHERE m.run_id = l.id) AS live_cost_usd,
            t.status AS shadow_status, t.state AS shadow_state, t.error AS shadow_error,
            extract(epoch FROM coalesce(t.finished_at, t.updated_at) - t.created_at) * 1000 AS shadow_latency_ms,
            (SELECT coalesce(sum(m.cost_usd), 0) FROM model_calls m WHERE m.run_id = t.id) AS shadow_cost_usd
       FROM shadow_pairs p JOIN runs l ON l.id = p.live_run_id LEFT JOIN runs t ON t.id = p.trial_run_id
      WHERE p.shadow_id = $1 AND p.status = 'running' AND l.status = ANY($2::text[])
        AND (p.trial_run_id IS NULL OR t.status = ANY($2::text[]))
      ORDER BY p.position LIMIT 200`,
    [shadow.id, endedStatuses],
  );
  if (ended.rows.length === 0) return 0;
  const results: Compared[] = [];
  for (const pair of ended.rows) {
    const reviews = shadow.compare.step === null ? [] : await listReviews(db, { runId: pair.live_run_id, limit: 500 });
    results.push(await comparePair(shadow.compare, pair, decidedTask(reviews, shadow.compare.step)));
  }
  await db.query(
    `UPDATE shadow_pairs p SET status = 'compared', compared_at = now(), live_status = v.live_status, shadow_status = v.shadow_status,
            error = v.error, agreement_live = v.agreement_live, agreement_people = v.agreement_people, people_decision = v.people_decision,
            review_id = v.review_id, live_output = v.live_output, shadow_output = v.shadow_output, people_output = v.people_output,
            live_cost_usd = v.live_cost_usd, shadow_cost_usd = v.shadow_cost_usd, live_latency_ms = v.live_latency_ms, shadow_latency_ms = v.shadow_latency_ms
       FROM jsonb_to_recordset($2::jsonb) AS v(live_run_id text, live_status text, shadow_status text, error jsonb, agreement_live boolean,
            agreement_people boolean, people_decision text, review_id text, live_output jsonb, shadow_output jsonb, people_output jsonb,
            live_cost_usd double precision, shadow_cost_usd double precision, live_latency_ms double precision, shadow_latency_ms double precision)
      WHERE p.shadow_id = $1 AND p.live_run_id = v.live_run_id AND p.status = 'running'`,
    [shadow.id, JSON.stringify(results)],
  );
  return results.length;
}

/**
 * The person's decision on the compared step of a live run: a review of that step itself (a model
 * or classify step sent to review) or of the approval boundary judging it. The latest one in force
 * (a retired task belonged to an earlier visit); an expired task was decided by nobody.
 */
function decidedTask(reviews: readonly ReviewRow[], step: string | null): ReviewRow | undefined {
  if (step === null) return undefined;
  return reviews.filter((r) => r.retired_at === null && peopleDecisions.has(r.status)
    && (r.step_id === step || (r.step_id === APPROVAL && r.context?.subject === step))).at(-1);
}

async function comparePair(compare: ShadowCompare, pair: EndedPair, task: ReviewRow | undefined): Promise<Compared> {
  const step = compare.step;
  // The live version's own answer is what it proposed: an edit or a reject changes the run's state after it.
  const liveSteps = task && step !== null ? { ...pair.live_state, [step]: task.proposed } : pair.live_state;
  const liveValue = await valueAt(compare.path, pair.live_input, liveSteps);
  const shadowValue = pair.shadow_state === null ? null : await valueAt(compare.path, pair.live_input, pair.shadow_state);
  let peopleValue: unknown = null;
  let agreementPeople: boolean | null = null;
  if (task && step !== null && task.status !== 'rejected') {
    peopleValue = task.status === 'edited' ? await valueAt(compare.path, pair.live_input, { ...pair.live_state, [step]: task.decided_output }) : liveValue;
    agreementPeople = sameValue(shadowValue, peopleValue);
  }
  return {
    live_run_id: pair.live_run_id,
    live_status: pair.live_status,
    shadow_status: pair.shadow_status ?? pair.refused ?? 'refused',
    error: pair.error ?? (pair.shadow_error ? { code: pair.shadow_error.code, message: pair.shadow_error.message } : null),
    agreement_live: sameValue(liveValue, shadowValue),
    agreement_people: agreementPeople,
    people_decision: task ? (task.status as 'approved' | 'edited' | 'rejected') : null,
    review_id: task?.id ?? null,
    live_output: liveValue, shadow_output: shadowValue, people_output: peopleValue,
    live_cost_usd: num(pair.live_cost_usd), shadow_cost_usd: pair.trial_run_id === null ? null : num(pair.shadow_cost_usd),
    live_latency_ms: num(pair.live_latency_ms), shadow_latency_ms: pair.trial_run_id === null ? null : num(pair.shadow_latency_ms),
  };
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

/**
 * The compared value in one run: the path over `{ input, steps }`. A path that reads nothing, or
 * that fails on this run's data (a step that did not run), is null: the run has no answer there.
 */
async function valueAt(path: string, input: unknown, steps: Record<string, unknown>): Promise<unknown> {
  try {
    const value = await evaluateJsonata(path, { input, steps } as unknown as Parameters<typeof evaluateJsonata>[1], `compare path ${path}`);
    return value ?? null;
  } catch (error) {
    if (error instanceof KeelError) return null;
    throw error;
  }
}
