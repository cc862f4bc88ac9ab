// What the connector and access pages decide about a grant before asking the server: who may
// decide it (the connector's owner or an admin, never the one who asked) and how dates read. The
// server checks every call regardless; these only choose which controls to offer.
import type { Me } from '../../lib/api-types';

/** The parts of a grant or an open request the decision controls need. */
export interface GrantRef {
  id: string;
  workflow_id: string;
  connector_id: string;
  scope: string;
  status: 'requested' | 'approved' | 'rejected' | 'revoked';
  requested_by: string;
}

export function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Whether this person decides and revokes grants on a connector owned by `owner`. */
export function decidesFor(me: Me, owner: string): boolean {
  return me.permissions.includes('grants:decide') || sameEmail(owner, me.email);
}

/** Why the person may not approve or reject this request, or undefined when they may. */
export function whyNotDecide(me: Me, owner: string, grant: GrantRef): string | undefined {
  if (!decidesFor(me, owner)) return `${owner} (the connector's owner) or an admin decides`;
  if (sameEmail(grant.requested_by, me.email)) return 'your own request: another owner or an admin decides it';
  return undefined;
}

/** Whether the grant can still be revoked (or the request withdrawn). */
export function isLive(grant: Pick<GrantRef, 'status'>): boolean {
  return grant.status === 'requested' || grant.status === 'approved';
}

/** A calendar day in the reader's locale, e.g. 12 Mar 2025. */
export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

const dayMs = 86_400_000;

/** How a rotation date reads: past or due ones are flagged, the next two weeks are "soon". */
export function rotationTone(rotateBy: string | null, due: boolean, now = Date.now()): 'overdue' | 'soon' | '' {
  if (!rotateBy) return '';
  const left = new Date(rotateBy).getTime() - now;
  if (due || left <= 0) return 'overdue';
  return left < 14 * dayMs ? 'soon' : '';
}

/** The grant as one phrase, for control names and messages: "http:read for mailer on crm". */
export function grantPhrase(grant: Pick<GrantRef, 'scope' | 'workflow_id' | 'connector_id'>): string {
  return `${grant.scope} for ${grant.workflow_id} on ${grant.connector_id}`;
}
