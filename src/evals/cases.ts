// Dataset cases: an input and the output it should have produced, kept per workflow and dataset.
// The first source is the review queue: a decided task is a case a person has already labelled.
import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import { getRun } from '../engine/index.js';
import { KeelError } from '../errors.js';
import { getReview, type ReviewRow } from '../review/index.js';
import type { DatasetCase } from './dataset-case.js';
import { finishVersion, nextVersionNumber, type DatasetVersion } from './versions.js';

export type { DatasetCase } from './dataset-case.js';

export const defaultDataset = 'default';
/** Dataset names appear in URLs and file names: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
export const datasetNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const maxTags = 20;
const tagPattern = /^[^\s,][^,]{0,63}$/;


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
  /** The version the addition made; the latest version when nothing changed. */
  version: number;
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
    const number = await nextVersionNumber(tx, review.workflow_id, dataset);
    const inserted = await tx.query<DatasetCase>(
      `INSERT INTO dataset_cases (id, workflow_id, dataset, input, expected, tags, source, review_id, created_by, added_in)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::text[], 'review', $7, $8, $9)
       ON CONFLICT (workflow_id, dataset, review_id) WHERE review_id IS NOT NULL AND removed_in IS NULL DO NOTHING
       RETURNING *`,
      [newCaseId(), review.workflow_id, dataset, JSON.stringify(caseInput), JSON.stringify(expected ?? null), tags, review.id, input.actor, number],
    );
    const added = inserted.rows[0];
    if (!added) {
      const existing = await tx.query<DatasetCase>(
        `SELECT * FROM dataset_cases WHERE workflow_id = $1 AND dataset = $2 AND review_id = $3 AND removed_in IS NULL`, [review.workflow_id, dataset, review.id],
      );
      return { case: existing.rows[0]!, created: false, version: number - 1 };
    }
    const version: DatasetVersion = await finishVersion(tx, {
      workflowId: review.workflow_id, dataset, number, change: 'review', actor: input.actor,
      audit: {
        action: 'dataset:case_added', subjectType: 'dataset_case', subjectId: added.id,
        data: { review: review.id, decision: review.status, tags, expected_from: input.expected !== undefined ? 'caller' : review.status },
      },
    });
    return { case: added, created: true, version: version.number };
  });
}

export interface ListCasesOptions {
  /** At most this many, oldest first; 500 by default, 5000 at most. */
  limit?: number;
}

/** A workflow's cases in the latest version of one dataset or of all, oldest first. */
export async function listCases(db: Queryable, workflowId: string, dataset?: string, options: ListCasesOptions = {}): Promise<DatasetCase[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 500), 1), 5000);
  const r = await db.query<DatasetCase>(
    `SELECT * FROM dataset_cases WHERE workflow_id = $1 AND ($2::text IS NULL OR dataset = $2) AND removed_in IS NULL
     ORDER BY dataset, created_at, id LIMIT $3`,
    [workflowId, dataset ?? null, limit],
  );
  return r.rows;
}

/** A new case id: time-ordered, with randomness so that ids made in the same millisecond differ. */
export function newCaseId(): string {
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

export function checkDataset(name: string): void {
  if (!datasetNamePattern.test(name)) {
    throw new KeelError('invalid_input', `"${name}" is not a dataset name.`, {
      problems: [{ path: 'dataset', message: 'letters, digits, _, - and ., starting with a letter or digit, at most 100' }],
    });
  }
}

export function checkTags(tags: readonly string[]): string[] {
  const problem = tagsProblem(tags);
  if (problem) throw new KeelError('invalid_input', problem.message, { problems: [problem] });
  return [...new Set(tags)];
}

/** What is wrong with a list of tags (duplicates are not wrong: they are dropped), or undefined. */
export function tagsProblem(tags: readonly string[]): { path: string; message: string } | undefined {
  const bad = tags.findIndex((t) => typeof t !== 'string' || !tagPattern.test(t));
  if (bad >= 0) return { path: `tags[${bad}]`, message: `tag ${JSON.stringify(tags[bad])} is not a tag: at most 64 characters, no commas, not starting with a space` };
  const unique = new Set(tags).size;
  if (unique > maxTags) return { path: 'tags', message: `a case takes at most ${maxTags} tags, not ${unique}` };
  return undefined;
}

/** Refuses what JSON cannot hold (undefined, functions, NaN and infinities, class instances), naming where. */
export function checkJson(value: unknown, path: string): void {
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
