// The connectors table: what each configured source system is, who owns it, and its settings.
// The config stored here holds secret *names* only (see kinds/kind.ts); values live sealed in
// connector_secrets. A connector from a connectors/*.yaml file is owned by that file: a change
// there updates the row at the next start.
import { recordAudit } from '../audit/index.js';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';

export interface ConnectorRow {
  id: string;
  kind: string;
  title: string;
  owner: string;
  credential_owner: string | null;
  config: Record<string, unknown>;
  allow_hosts: string[];
  rotation_days: number | null;
  source: 'file' | 'api';
  created_by: string;
  created_at: string;
  updated_at: string;
  /** The kill switch (connector-pause.ts): while set, every action call through it is refused. Not part of its settings. */
  paused: boolean;
  paused_at: string | null;
  paused_by: string | null;
  pause_reason: string | null;
}

export interface ConnectorDefinition {
  id: string;
  kind: string;
  title: string;
  owner: string;
  credentialOwner?: string;
  config: Record<string, unknown>;
  allowHosts?: string[];
  rotationDays?: number;
}

const columns = `id, kind, title, owner, credential_owner, config, allow_hosts, rotation_days, source, created_by, created_at, updated_at,
  paused, paused_at, paused_by, pause_reason`;
const idPattern = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

/** A connector keeps its kind: its grants were given for that kind's scopes. */
export function refuseKindChange(before: ConnectorRow | undefined, kind: string): void {
  if (!before || before.kind === kind) return;
  throw new KeelError('conflict', `Connector ${before.id} is a ${before.kind} connector; it cannot become ${kind}.`, { hint: 'Give the new connector another id, then move the grants to it.' });
}

/** Creates or updates a connector; answers whether anything changed. A kind never changes under a live connector. */
export async function saveConnector(db: Queryable, def: ConnectorDefinition, source: 'file' | 'api', actor: string): Promise<{ connector: ConnectorRow; changed: boolean }> {
  if (!idPattern.test(def.id)) {
    throw new KeelError('invalid_input', `The connector id "${def.id}" is not allowed.`, { problems: [{ path: 'id', message: 'lower-case letters, digits, _, - and ., starting with a letter or digit, at most 100' }] });
  }
  const before = await findConnector(db, def.id);
  refuseKindChange(before, def.kind);
  const values = [def.id, def.kind, def.title, def.owner, def.credentialOwner ?? null, JSON.stringify(def.config), def.allowHosts ?? [], def.rotationDays ?? null, source, actor];
  const { rows } = await db.query<ConnectorRow>(
    `INSERT INTO connectors (id, kind, title, owner, credential_owner, config, allow_hosts, rotation_days, source, created_by)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, owner = EXCLUDED.owner, credential_owner = EXCLUDED.credential_owner,
       config = EXCLUDED.config, allow_hosts = EXCLUDED.allow_hosts, rotation_days = EXCLUDED.rotation_days, source = EXCLUDED.source, updated_at = now()
     RETURNING ${columns}`, values);
  const connector = rows[0]!;
  const changed = !before || JSON.stringify(summary(before)) !== JSON.stringify(summary(connector));
  if (changed) {
    await recordAudit(db, {
      actor, action: before ? 'connector:updated' : 'connector:created', subjectType: 'connector', subjectId: def.id,
      before: before ? summary(before) : undefined, after: summary(connector),
    });
  }
  return { connector, changed };
}

/** What the audit log and change detection compare: everything a person set (no secrets exist here). */
function summary(c: ConnectorRow) {
  return { kind: c.kind, title: c.title, owner: c.owner, credential_owner: c.credential_owner, config: c.config, allow_hosts: c.allow_hosts, rotation_days: c.rotation_days, source: c.source };
}

export async function findConnector(db: Queryable, id: string): Promise<ConnectorRow | undefined> {
  const { rows } = await db.query<ConnectorRow>(`SELECT ${columns} FROM connectors WHERE id = $1`, [id]);
  return rows[0];
}

export async function getConnector(db: Queryable, id: string): Promise<ConnectorRow> {
  const found = await findConnector(db, id);
  if (!found) throw new KeelError('not_found', `No connector named ${id}.`, { hint: 'See keel access inventory for the connectors here.' });
  return found;
}

export async function listConnectors(db: Queryable): Promise<ConnectorRow[]> {
  const { rows } = await db.query<ConnectorRow>(`SELECT ${columns} FROM connectors ORDER BY id`);
  return rows;
}
