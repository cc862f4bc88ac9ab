// The access inventory of one workflow: every connector it touches with its owner and credential
// owner, the workflow's grants there, and the connector's secrets by name, version and rotation
// date. Values are never read: only the connectors slice's metadata lists are used, and a
// connector's settings (which may name where a secret lives) are left out altogether.
import { findConnector, listGrants, listSecrets, type GrantRow } from '../connectors/index.js';
import type { Queryable } from '../db/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import type { AccessSection, WorkflowCard } from './schemas.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const expiredAt = (g: GrantRow, now: Date) => g.expires_at !== null && new Date(g.expires_at) <= now;

export async function accessSection(db: Queryable, spec: WorkflowSpec, systems: WorkflowCard['systems'], now: Date): Promise<AccessSection> {
  const grants = await listGrants(db, { workflowId: spec.id });
  const ids = [...new Set([...systems.map((s) => s.connector), ...grants.map((g) => g.connector_id)])];
  const connectors: AccessSection['connectors'] = [];
  for (const id of ids) {
    const c = await findConnector(db, id);
    const secrets = c ? await listSecrets(db, id, now) : [];
    connectors.push({
      id, exists: c !== undefined, kind: c?.kind ?? null, title: c?.title ?? null, owner: c?.owner ?? null,
      credential_owner: c?.credential_owner ?? null, rotation_days: c?.rotation_days ?? null, paused: c?.paused ?? false,
      grants: grants.filter((g) => g.connector_id === id).map((g) => ({
        id: g.id, scope: g.scope, status: g.status, decided_by: g.decided_by, decided_at: iso(g.decided_at),
        expires_at: iso(g.expires_at), expired: expiredAt(g, now), last_used_at: iso(g.last_used_at), use_count: Number(g.use_count),
      })),
      secrets: secrets.map((s) => ({ name: s.name, version: Number(s.version), rotate_by: iso(s.rotate_by), rotation_due: s.rotation_due })),
    });
  }
  const listed = spec.access.flatMap((a) => a.scopes.map((scope) => listedScope(a.connector, scope, grants, now)));
  return { listed, connectors };
}

/** The best grant the workflow holds for one listed scope: live, else expired, else asked for, else the last refusal. */
function listedScope(connector: string, scope: string, grants: GrantRow[], now: Date): AccessSection['listed'][number] {
  const mine = grants.filter((g) => g.connector_id === connector && g.scope === scope);
  const live = mine.find((g) => g.status === 'approved' && !expiredAt(g, now));
  const pick = live ?? mine.find((g) => g.status === 'approved') ?? mine.find((g) => g.status === 'requested') ?? mine[mine.length - 1];
  const grant = !pick ? 'none' : pick.status === 'approved' && !live ? 'expired' : pick.status;
  return { connector, scope, grant, live: live !== undefined, grant_id: pick?.id ?? null, expires_at: iso(pick?.expires_at ?? null) };
}
