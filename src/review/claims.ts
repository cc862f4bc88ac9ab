import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { isOpen, type ReviewRow } from './types.js';

/** How long a claim holds unless renewed: long enough to read a case, short enough that a forgotten one frees itself. */
export const defaultClaimMinutes = 15;

/**
 * Claims a pending review for one person, or renews their own claim. One conditional UPDATE: two
 * people claiming at once cannot both win, and an expired claim is free to take.
 */
export async function claimReview(db: Db, input: { reviewId: string; actor: string; minutes?: number }): Promise<ReviewRow> {
  const minutes = checkMinutes(input.minutes);
  return db.transaction(async (tx) => {
    const r = await tx.query<ReviewRow>(
      `UPDATE reviews SET claimed_by = $2, claimed_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND status IN ('pending', 'escalated') AND (claimed_until IS NULL OR claimed_until <= now() OR claimed_by = $2)
        RETURNING *`,
      [input.reviewId, input.actor, minutes * 60],
    );
    const claimed = r.rows[0];
    if (!claimed) throw await refusal(tx, input.reviewId, input.actor);
    await recordAudit(tx, {
      actor: input.actor, action: 'review:claimed', subjectType: 'review', subjectId: claimed.id,
      data: { run: claimed.run_id, until: claimed.claimed_until },
    });
    return claimed;
  });
}

export interface ClaimNextInput {
  actor: string;
  /** The roles the person works for; a task assigned to them by name is always theirs. Null: any role (admins). */
  roles: readonly string[] | null;
  /** Only tasks of these workflows (what the person may see); null: all. */
  workflowIds?: readonly string[] | null;
  minutes?: number;
}

/** Free, open tasks of the workflows a person may see; `$1` the actor, `$4` the workflow ids or null. */
const free = `status IN ('pending', 'escalated') AND (claimed_until IS NULL OR claimed_until <= now())
  AND ($4::text[] IS NULL OR workflow_id = ANY($4::text[]))`;
const urgentFirst = 'ORDER BY priority DESC, due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED';

/**
 * For a person with roles: the most urgent free task of each role (its own index), and of those
 * assigned to them by name, then the most urgent of these few. One queue scan per role keeps a
 * claim fast when the head of the queue belongs to roles the person does not hold.
 */
const claimForRoles = `
  WITH by_role AS (
         SELECT c.id, c.priority, c.due_at FROM unnest($3::text[]) AS r(role) CROSS JOIN LATERAL (
           SELECT id, priority, due_at FROM reviews WHERE assigned_role = r.role AND ${free} ${urgentFirst}) c),
       by_name AS (SELECT id, priority, due_at FROM reviews WHERE assigned_to = $1 AND ${free} ${urgentFirst})
  UPDATE reviews SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
   WHERE id = (SELECT id FROM (SELECT * FROM by_role UNION ALL SELECT * FROM by_name) candidates ORDER BY priority DESC, due_at, id LIMIT 1)
  RETURNING *`;

/** For an admin (any role): the head of the whole queue. */
const claimAny = `
  UPDATE reviews SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
   WHERE id = (SELECT id FROM reviews WHERE $3::text[] IS NULL AND ${free} ${urgentFirst})
  RETURNING *`;

/**
 * Claims the most urgent free task for a person: highest priority, then the soonest due. One
 * statement; `SKIP LOCKED` lets many people pull from the queue at once without waiting on each
 * other or getting the same task. Undefined when nothing is free.
 */
export async function claimNextReview(db: Db, input: ClaimNextInput): Promise<ReviewRow | undefined> {
  const minutes = checkMinutes(input.minutes);
  return db.transaction(async (tx) => {
    const r = await tx.query<ReviewRow>(input.roles === null ? claimAny : claimForRoles, [input.actor, minutes * 60, input.roles, input.workflowIds ?? null]);
    const claimed = r.rows[0];
    if (!claimed) return undefined;
    await recordAudit(tx, {
      actor: input.actor, action: 'review:claimed', subjectType: 'review', subjectId: claimed.id,
      data: { run: claimed.run_id, until: claimed.claimed_until },
    });
    return claimed;
  });
}

function checkMinutes(given: number | undefined): number {
  const minutes = given ?? defaultClaimMinutes;
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
    throw new KeelError('invalid_input', 'A claim lasts more than 0 and at most 1440 minutes.', { problems: [{ path: 'minutes', message: `got ${minutes}` }] });
  }
  return minutes;
}

/** Gives a claim back before it expires; only its holder can. */
export async function releaseReview(db: Db, input: { reviewId: string; actor: string }): Promise<ReviewRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<ReviewRow>(
      `UPDATE reviews SET claimed_by = NULL, claimed_until = NULL
        WHERE id = $1 AND status IN ('pending', 'escalated') AND claimed_by = $2 AND claimed_until > now() RETURNING *`,
      [input.reviewId, input.actor],
    );
    const released = r.rows[0];
    if (!released) throw await refusal(tx, input.reviewId, input.actor, 'release');
    await recordAudit(tx, { actor: input.actor, action: 'review:released', subjectType: 'review', subjectId: released.id, data: { run: released.run_id } });
    return released;
  });
}

/** The live claim of someone other than `actor`, if any: it keeps them from deciding. */
export function claimedByOther(review: ReviewRow, actor: string, now = new Date()): boolean {
  return review.claimed_by !== null && review.claimed_by !== actor && review.claimed_until !== null && new Date(review.claimed_until) > now;
}

/** Why a claim or release did not happen, as the error the caller answers with. */
async function refusal(tx: Queryable, reviewId: string, actor: string, what: 'claim' | 'release' = 'claim'): Promise<KeelError> {
  const r = await tx.query<ReviewRow & { live: boolean }>(`SELECT *, claimed_until > now() AS live FROM reviews WHERE id = $1`, [reviewId]);
  const review = r.rows[0];
  if (!review) return new KeelError('not_found', `No review ${reviewId}.`, { hint: 'List reviews with `keel review list`.' });
  if (!isOpen(review)) return new KeelError('conflict', `Review ${reviewId} is already ${review.status}.`, { hint: 'A review is decided once; its decision is in the run history.' });
  if (what === 'release') {
    return new KeelError('conflict', review.live && review.claimed_by !== actor
      ? `Review ${reviewId} is claimed by ${review.claimed_by}, not by you.`
      : `You hold no claim on review ${reviewId}.`);
  }
  return new KeelError('conflict', `Review ${reviewId} is claimed by ${review.claimed_by} until ${new Date(review.claimed_until!).toISOString()}.`, {
    hint: 'Pick another task, or wait until the claim expires or is released.', details: { claimedBy: review.claimed_by, claimedUntil: review.claimed_until },
  });
}
