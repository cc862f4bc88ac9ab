// What is hashed, and how. The body is canonical JSON (sorted keys, no spaces) of the event's
// fields; the link is sha256 over `prev_hash \n seq \n body` in UTF-8. The database computes the same
// formula when it backfills (migration 0002), so both must stay byte-for-byte equal.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../spec/index.js';

/** The fields a body holds; `at` is an ISO 8601 time in UTC. */
export interface EventBody {
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  data: Record<string, unknown>;
  request_id: string | null;
  at: string;
}

/** The text stored in `body` and hashed. */
export function eventBodyText(body: EventBody): string {
  return canonicalJson(body);
}

/** The hash of event `seq` whose predecessor's hash is `prevHash`. */
export function chainHash(prevHash: string, seq: number, body: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${body}`, 'utf8').digest('hex');
}
