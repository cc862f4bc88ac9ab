// The shapes of the audit slice: what a caller records, and what a stored event holds.

/** One change or decision, as a caller records it inside the transaction that makes it. */
export interface AuditEvent {
  /** Who acted: a user's name, a token's owner, or `keel:<component>` for Keel itself. */
  actor: string;
  /** `noun:verb`, e.g. `version:created`, `deployment:moved`, `review:decided`. */
  action: string;
  subjectType: string;
  subjectId: string;
  /** Facts about the change that are neither state before nor after (a decision's comment, a stage). */
  data?: Record<string, unknown>;
  /** The object as it was before the change (secrets are redacted before storing). */
  before?: Record<string, unknown>;
  /** The object as it is after the change (secrets are redacted before storing). */
  after?: Record<string, unknown>;
}

/** A stored event. `seq`, `prev_hash` and `hash` are null while the event waits to be linked. */
export interface AuditRow {
  id: number;
  seq: number | null;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
  /** The exact text that was hashed. */
  body: string;
  created_at: Date;
}

/** The prev_hash of the first event. */
export const genesisHash = '0'.repeat(64);
