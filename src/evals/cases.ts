// Dataset cases: an input and the output it should have produced, kept per workflow and dataset.
// The first source is the review queue: a decided task is a case a person has already labelled.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { getRun } from '../engine/index.js';
import { KeelError } from '../errors.js';
import { getReview, type ReviewRow } from '../review/index.js';

export const defaultDataset = 'default';
/** Dataset names appear in URLs and file names: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
export const datasetNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const maxTags = 20;
const tagPattern = /^[^\s,][^,]{0,63}$/;

export interface DatasetCase {
  id: string;
  workflow_id: string;
  dataset: string;
  input: unknown;
  expected: unknown;
  tags: string[];
  /** Where the case came from: `review` for one added from a decided task. */
  source: string;
  review_id: string | null;
  created_by: string;
  created_at: Date;
}

export interface AddCaseFromReview {
  reviewId: string;
  actor: string;
  /** `default` when absent. */
  dataset?: string;
  tags?: readonly string[];
  /** The expected output, overriding what the decision implies (any JSON value). */
  expected?: unknown;
}

export interface AddedCase {
  case: DatasetCase;
  /** False when this review was already in this dataset: the existing case is answered unchanged. */
  created: boolean;
}

/**
 * Adds a decided review task to a workflow's dataset. The input is the run's input (for an
 * external task, `context.payload` or `context.input`); the expected output is what the person
 * decided: the proposed output when approved, the corrected one when edited, and
 * `{ rejected: true, reason }` when rejected, unless `expected` is given. Once per workflow,
 * dataset and review: adding it again answers the existing case with `created: false`.
 */
export async function addCaseFromReview(db: Db, input: AddCaseFromReview): Promise<AddedCase> {
  const dataset = input.dataset ?? defaultDataset;
  const tags = checkTags(input.tags ?? []);
  checkDataset(dataset);
  if (input.expected !== undefined) checkJson(input.expected, 'expected');
  return db.transaction(async (tx) => {
    const review = await getReview(tx, input.reviewId);
    const expected = input.expected !== undefined ? input.expected : decidedOutput(review);
    const caseInput = await reviewInput(tx, review);
    const inserted = await tx.query<DatasetCase>(
      `INSERT INTO dataset_cases (id, workflow_id, dataset, input, expected, tags, source, review_id, created_by)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::text[], 'review', $7, $8)
       ON CONFLICT (workflow_id, dataset, review_id) WHERE review_id IS NOT NULL DO NOTHING
       RETURNING *`,
      [newCaseId(), review.workflow_id, dataset, JSON.stringify(caseInput), JSON.stringify(expected ?? null), tags, review.id, input.actor],
    );
    const added = inserted.rows[0];
    if (!added) {
      const existing = await tx.query<DatasetCase>(
        `SELECT * FROM dataset_cases WHERE workflow_id = $1 AND dataset = $2 AND review_id = $3`, [review.workflow_id, dataset, review.id],
      );
      return { case: existing.rows[0]!, created: false };
    }
    await recordAudit(tx, {
      actor: input.actor, action: 'dataset:case_added', subjectType: 'dataset_case', subjectId: added.id,
      data: {
        workflow: review.workflow_id, dataset, review: review.id, decision: review.status, tags,
        expected_from: input.expected !== undefined ? 'caller' : review.status,
      },
    });
    return { case: added, created: true };
  });
}

export interface ListCasesOptions {
  /** At most this many, oldest first; 500 by default, 5000 at most. */
  limit?: number;
}

/** A workflow's cases, of one dataset or of all, oldest first. */
export async function listCases(db: Queryable, workflowId: string, dataset?: string, options: ListCasesOptions = {}): Promise<DatasetCase[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 500), 1), 5000);
  const r = await db.query<DatasetCase>(
    `SELECT * FROM dataset_cases WHERE workflow_id = $1 AND ($2::text IS NULL OR dataset = $2)
     ORDER BY dataset, created_at, id LIMIT $3`,
    [workflowId, dataset ?? null, limit],
  );
  return r.rows;
}

function newCaseId(): string {
  return `case_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

/** What the decision says the output should have been; open and expired tasks say nothing yet. */
function decidedOutput(review: ReviewRow): unknown {
  switch (review.status) {
    case 'approved':
      return review.proposed;
    case 'edited':
      return review.decided_output;
    case 'rejected':
      return { rejected: true, reason: review.comment };
    case 'expired':
      throw new KeelError('conflict', `Review ${review.id} expired without a decision, so nobody said what its output should be.`, {
        hint: 'Only approved, edited or rejected reviews become dataset cases.',
      });
    default:
      throw new KeelError('conflict', `Review ${review.id} is still ${review.status}; only a decided review becomes a dataset case.`, {
        hint: 'Decide it first (keel review approve | edit | reject), then add it.',
      });
  }
}

async function reviewInput(tx: Queryable, review: ReviewRow): Promise<unknown> {
  if (review.run_id !== null) return (await getRun(tx, review.run_id)).input;
  const context = review.context ?? {};
  const given = context.payload !== undefined ? context.payload : context.input;
  if (given === undefined) {
    throw new KeelError('conflict', `Review ${review.id} has no run and its context holds neither payload nor input, so the case would have no input.`, {
      hint: 'External tasks carry their input as context.payload (or context.input) when they are created.',
    });
  }
  return given;
}

function checkDataset(name: string): void {
  if (!datasetNamePattern.test(name)) {
    throw new KeelError('invalid_input', `"${name}" is not a dataset name.`, {
      problems: [{ path: 'dataset', message: 'letters, digits, _, - and ., starting with a letter or digit, at most 100' }],
    });
  }
}

function checkTags(tags: readonly string[]): string[] {
  const bad = tags.findIndex((t) => typeof t !== 'string' || !tagPattern.test(t));
  if (bad >= 0) {
    throw new KeelError('invalid_input', `Tag ${JSON.stringify(tags[bad])} is not a tag.`, {
      problems: [{ path: `tags[${bad}]`, message: 'at most 64 characters, no commas, not starting with a space' }],
    });
  }
  const unique = [...new Set(tags)];
  if (unique.length > maxTags) {
    throw new KeelError('invalid_input', `A case takes at most ${maxTags} tags, not ${unique.length}.`, { problems: [{ path: 'tags', message: `at most ${maxTags}` }] });
  }
  return unique;
}

/** Refuses what JSON cannot hold (undefined, functions, NaN and infinities, class instances), naming where. */
function checkJson(value: unknown, path: string): void {
  const fail = (at: string, what: string) => {
    throw new KeelError('invalid_input', `${at} is not valid JSON: ${what}.`, { problems: [{ path: at, message: what }] });
  };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, `${value} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`));
    return;
  }
  const proto: unknown = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, v] of Object.entries(value as object)) checkJson(v, `${path}.${k}`);
    return;
  }
  fail(path, `a ${typeof value} has no JSON form`);
}
