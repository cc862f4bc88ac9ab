// What the review pages derive from the API's answers: names for numbers, who did what in words,
// and what an approval lets happen next. Pure functions, so the views stay about layout.
import type { Review, ReviewDetail } from '../../lib/api-types';

export const priorityNames = ['low', 'normal', 'high', 'urgent'] as const;

export function priorityName(p: number): string {
  return priorityNames[p] ?? String(p);
}

/** Open tasks are the ones a person can still decide; `claimed` is an open task someone holds. */
export function isOpen(r: Pick<Review, 'state'>): boolean {
  return r.state === 'pending' || r.state === 'claimed' || r.state === 'escalated';
}

/** An email as the person reads it: "you" for themselves. */
export function who(email: string | null | undefined, me: string): string {
  if (!email) return 'nobody';
  return email === me ? 'you' : email;
}

const reasonWords: Record<string, string> = {
  manual: 'review step', low_confidence: 'low confidence', policy: 'policy', risk: 'high risk', sandbox: 'sandbox run',
  malformed_output: 'malformed output', no_response: 'no model answer', outcome_unknown: 'outcome unknown', budget_exceeded: 'budget exceeded',
  access_denied: 'no grant for an action',
};

export function reasonWord(reason: string): string {
  return reasonWords[reason] ?? reason.replace(/_/g, ' ');
}

/** Every reason a task was asked for: the task's own, plus what the approval boundary matched. */
export function reasonsOf(r: Pick<Review, 'reason' | 'context'>): string[] {
  const out = [reasonWord(r.reason)];
  const ctx = r.context ?? {};
  for (const e of asStrings(ctx.exclusions)) out.push(`exclusion: ${e}`);
  for (const f of asStrings(ctx.flags)) out.push(`flag: ${f}`);
  return out;
}

export function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The one-line summary of a decided task, the same words the conflict alert uses. */
export function decidedLine(r: Pick<ReviewDetail, 'status' | 'decided_by' | 'comment'>, me: string): string {
  const by = r.decided_by ? who(r.decided_by, me) : r.status === 'expired' ? 'the deadline' : 'someone';
  return `Already decided by ${by}: ${r.status}${r.comment ? ` (“${r.comment}”)` : ''}`;
}

// ---- what approval runs ------------------------------------------------------------------------

/** The parts of a stored workflow definition this page reads (the API types it as a plain record). */
export interface StepDef {
  id: string;
  kind: string;
  connector?: string;
  action?: string;
  delivery?: string;
  with?: Record<string, unknown>;
}

export interface RuleDef {
  when: string;
  then: string;
  role?: string;
  reason?: string;
}

export interface Definition {
  steps?: StepDef[];
  approval?: { output?: string; rules?: RuleDef[] };
}

export interface NextStep {
  id: string;
  kind: string;
  action?: string;
  delivery?: string;
  /** Where the side effect lands: the connector and its action. */
  target?: string;
}

/**
 * The steps a run goes through after this task is approved, in file order: for the approval
 * boundary from the first action it stands before, for a step's review from the step after it.
 * Undefined when it cannot be told (no definition, or the step is not in it).
 */
export function stepsAfter(review: Pick<Review, 'step_id' | 'context'>, definition: Definition | undefined): NextStep[] | undefined {
  const steps = definition?.steps;
  if (!steps || !review.step_id) return undefined;
  let start: number;
  if (review.step_id === 'approval') {
    const first = contextActions(review)[0]?.step;
    start = first ? steps.findIndex((s) => s.id === first) : steps.findIndex((s) => s.kind === 'action');
  } else {
    const at = steps.findIndex((s) => s.id === review.step_id);
    start = at === -1 ? -1 : at + 1;
  }
  if (start === -1) return undefined;
  return steps.slice(start).map((s) => ({ id: s.id, kind: s.kind, action: s.action, delivery: s.delivery, target: s.kind === 'action' ? targetOf(s) : undefined }));
}

/** The connector and action a step calls, e.g. `helpdesk.send`. */
export function targetOf(s: StepDef): string {
  return s.connector ? `${s.connector}.${s.action ?? ''}` : (s.action ?? '');
}

/**
 * What the server put in the task's context about the actions approval runs. At the approval
 * boundary each carries what it would send (`would_send`, rendered by the connector without any
 * secret), or why that cannot be shown yet (`preview_error`: it depends on a step still to run).
 */
export interface ContextAction {
  step: string;
  connector?: string;
  action: string;
  delivery: string;
  scope?: string;
  would_send?: unknown;
  preview_error?: string;
}

export function contextActions(r: Pick<Review, 'context'>): ContextAction[] {
  const a = r.context?.actions;
  if (!Array.isArray(a)) return [];
  return a.filter((x): x is ContextAction => isRecord(x) && typeof x.step === 'string');
}

/** The boundary rule that sent the task here, in words, when the definition has it. */
export function ruleOf(review: Pick<Review, 'step_id' | 'context'>, definition: Definition | undefined): string | undefined {
  if (review.step_id !== 'approval') return undefined;
  const by = review.context?.by;
  if (typeof by === 'number') {
    const rule = definition?.approval?.rules?.[by];
    const n = `rule ${by + 1}`;
    return rule ? `${n}: when ${rule.when} then ${rule.then}${rule.role ? ` (role ${rule.role})` : ''}` : n;
  }
  const fixed: Record<string, string> = {
    default: 'no rule matched: the default sends it to a person',
    sandbox: 'fail-safe: a sandbox run always goes to a person',
    exclusion: 'fail-safe: a matched exclusion is always escalated',
    risk: 'fail-safe: a high-risk workflow is never automatic unless a rule says so',
  };
  return typeof by === 'string' ? (fixed[by] ?? by) : undefined;
}
