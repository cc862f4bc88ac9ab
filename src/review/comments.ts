import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { KeelError } from '../errors.js';
import { getReview } from './store.js';

export interface ReviewComment {
  id: number;
  review_id: string;
  actor: string;
  body: string;
  created_at: Date;
}

/** A note on a task, open or decided: the conversation that explains a decision stays with it. */
export async function addReviewComment(db: Db, input: { reviewId: string; actor: string; body: string }): Promise<ReviewComment> {
  const body = input.body.trim();
  if (!body) throw new KeelError('invalid_input', 'A comment needs some text.', { problems: [{ path: 'body', message: 'must not be empty' }] });
  return db.transaction(async (tx) => {
    await getReview(tx, input.reviewId);
    const r = await tx.query<ReviewComment>(
      `INSERT INTO review_comments (review_id, actor, body) VALUES ($1, $2, $3) RETURNING *`, [input.reviewId, input.actor, body],
    );
    const comment = r.rows[0]!;
    await recordAudit(tx, { actor: input.actor, action: 'review:commented', subjectType: 'review', subjectId: input.reviewId, data: { comment: comment.id } });
    return comment;
  });
}

export async function listReviewComments(db: Queryable, reviewId: string): Promise<ReviewComment[]> {
  const r = await db.query<ReviewComment>(`SELECT * FROM review_comments WHERE review_id = $1 ORDER BY id`, [reviewId]);
  return r.rows;
}

/** Who has approved a task that needs a quorum, in order. */
export async function listReviewApprovals(db: Queryable, reviewId: string): Promise<{ actor: string; created_at: Date }[]> {
  const r = await db.query<{ actor: string; created_at: Date }>(`SELECT actor, created_at FROM review_votes WHERE review_id = $1 ORDER BY created_at`, [reviewId]);
  return r.rows;
}
