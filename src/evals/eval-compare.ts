// Two eval runs side by side, case by case: which cases the second run got wrong that the first
// got right (regressed), the other way round (improved), and each run's figures. Cases are matched
// by id, so two versions run against the same dataset (or versions of it sharing cases) compare.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getEvalRun, type EvalRunRow } from './eval-runs.js';
import type { ScoreResult } from './scorers/index.js';

export interface CaseChange {
  case_id: string;
  a: { passed: boolean; run_id: string | null; failed_scorers: string[] };
  b: { passed: boolean; run_id: string | null; failed_scorers: string[] };
}

export interface EvalComparison {
  a: EvalRunRow;
  b: EvalRunRow;
  regressed: CaseChange[];
  improved: CaseChange[];
  /** Cases scored the same way in both (passed in both, failed in both). */
  unchanged: { passed: number; failed: number };
  /** Cases only one of the runs has (the dataset versions differ). */
  onlyInA: number;
  onlyInB: number;
}

interface PairRow {
  case_id: string;
  a_passed: boolean | null;
  b_passed: boolean | null;
  a_run: string | null;
  b_run: string | null;
  a_scores: ScoreResult[] | null;
  b_scores: ScoreResult[] | null;
}

/** Compares two finished eval runs of one workflow; `b` is the candidate read against `a`. */
export async function compareEvalRuns(db: Queryable, aId: string, bId: string): Promise<EvalComparison> {
  const [a, b] = [await getEvalRun(db, aId), await getEvalRun(db, bId)];
  if (a.workflow_id !== b.workflow_id) {
    throw new KeelError('invalid_input', `Eval runs ${aId} and ${bId} belong to different workflows (${a.workflow_id}, ${b.workflow_id}).`, {
      problems: [{ path: 'b', message: 'must be an eval run of the same workflow as a' }],
    });
  }
  for (const run of [a, b]) {
    if (run.status !== 'finished') {
      throw new KeelError('conflict', `Eval run ${run.id} is ${run.status}; only finished eval runs compare.`, {
        hint: run.status === 'running' ? 'Wait for it: keel eval show ' + run.id : 'Start a new eval run.',
      });
    }
  }
  const rows = (await db.query<PairRow>(
    `SELECT coalesce(x.case_id, y.case_id) AS case_id, x.passed AS a_passed, y.passed AS b_passed, x.run_id AS a_run, y.run_id AS b_run,
            x.scores AS a_scores, y.scores AS b_scores
       FROM (SELECT * FROM eval_results WHERE eval_run_id = $1) x
       FULL JOIN (SELECT * FROM eval_results WHERE eval_run_id = $2) y ON x.case_id = y.case_id
      ORDER BY coalesce(y.position, x.position)`,
    [aId, bId],
  )).rows;
  const side = (passed: boolean | null, run: string | null, scores: ScoreResult[] | null) => ({
    passed: passed === true, run_id: run, failed_scorers: (scores ?? []).filter((s) => !s.passed).map((s) => s.scorer),
  });
  const comparison: EvalComparison = { a, b, regressed: [], improved: [], unchanged: { passed: 0, failed: 0 }, onlyInA: 0, onlyInB: 0 };
  for (const row of rows) {
    if (row.a_passed === null || row.b_passed === null) {
      if (row.a_passed === null) comparison.onlyInB++;
      else comparison.onlyInA++;
      continue;
    }
    const change = { case_id: row.case_id, a: side(row.a_passed, row.a_run, row.a_scores), b: side(row.b_passed, row.b_run, row.b_scores) };
    if (row.a_passed && !row.b_passed) comparison.regressed.push(change);
    else if (!row.a_passed && row.b_passed) comparison.improved.push(change);
    else if (row.a_passed) comparison.unchanged.passed++;
    else comparison.unchanged.failed++;
  }
  return comparison;
}
