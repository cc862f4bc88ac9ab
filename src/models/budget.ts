import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import type { BudgetSpec } from '../spec/index.js';

export interface Spend { tokens: number; costUsd: number }

/** What the next attempt is expected to use: the prompt's tokens guessed from its length, plus the output cap. */
export interface SpendEstimate { tokens: number; costUsd: number }

/** About four characters per token for English text: the usual rough measure, good enough for a cap. */
export function estimateSpend(promptChars: number, maxOutputTokens: number | undefined, price: { inputPerMillion: number; outputPerMillion: number }): SpendEstimate {
  const tokensIn = Math.ceil(promptChars / 4);
  const tokensOut = maxOutputTokens ?? 0;
  return { tokens: tokensIn + tokensOut, costUsd: (tokensIn * price.inputPerMillion + tokensOut * price.outputPerMillion) / 1e6 };
}

/** Tokens and dollars spent by one run, and by the workflow since the start of the UTC day. */
export async function spendSoFar(db: Queryable, runId: string, workflowId: string): Promise<{ run: Spend; day: Spend }> {
  const r = await db.query<{ scope: 'run' | 'day'; tokens: string | number | null; cost: number | null }>(
    `SELECT 'run' AS scope, sum(tokens_in + tokens_out) AS tokens, sum(cost_usd) AS cost FROM model_calls WHERE run_id = $1
     UNION ALL
     SELECT 'day', sum(tokens_in + tokens_out), sum(cost_usd) FROM model_calls
      WHERE workflow_id = $2 AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
    [runId, workflowId],
  );
  const of = (scope: 'run' | 'day'): Spend => {
    const row = r.rows.find((x) => x.scope === scope);
    return { tokens: Number(row?.tokens ?? 0), costUsd: Number(row?.cost ?? 0) };
  };
  return { run: of('run'), day: of('day') };
}

/**
 * Refuses an attempt that would take the run or the workflow's day past its budget. The error says
 * which cap, what was spent and what the attempt would add, so the reviewer can decide.
 */
export async function checkBudget(db: Queryable, budget: BudgetSpec | undefined, ids: { runId: string; workflowId: string }, next: SpendEstimate): Promise<void> {
  if (!budget || (!budget.per_run && !budget.per_day)) return;
  const spent = await spendSoFar(db, ids.runId, ids.workflowId);
  const caps: Array<['per_run' | 'per_day', Spend, BudgetSpec['per_run']]> = [['per_run', spent.run, budget.per_run], ['per_day', spent.day, budget.per_day]];
  for (const [which, used, cap] of caps) {
    if (!cap) continue;
    const over = [
      cap.tokens !== undefined && used.tokens + next.tokens > cap.tokens ? `${used.tokens} tokens spent + about ${next.tokens} for this call > ${cap.tokens}` : undefined,
      cap.cost !== undefined && used.costUsd + next.costUsd > cap.cost ? `$${used.costUsd.toFixed(4)} spent + about $${next.costUsd.toFixed(4)} for this call > $${cap.cost}` : undefined,
    ].filter((x): x is string => x !== undefined);
    if (over.length > 0) {
      throw new KeelError('budget_exceeded', `The workflow's budget.${which} would be exceeded: ${over.join('; ')}.`, {
        retriable: false,
        hint: which === 'per_day' ? 'Approve or edit the answer in review, raise budget.per_day, or wait for the next UTC day.' : 'Decide this run in review, or raise budget.per_run in the workflow file.',
        details: { budget: which, spentTokens: used.tokens, spentCostUsd: used.costUsd },
      });
    }
  }
}
