// What the API, the CLI and the inventory show of a connector: its row, its kind's actions with the
// scope each needs and the delivery class its config gives, and its secrets' metadata. Built from
// listSecrets, which never selects a value or a fingerprint, so no view can carry one.
import type { Queryable } from '../db/index.js';
import type { ConnectorRow } from './connector-store.js';
import type { ConnectorKind, DeliveryClass } from './kinds/kind.js';
import { listSecrets, type SecretMeta } from './secrets/index.js';

export interface ActionView {
  name: string;
  scope: string;
  /** Null only when the class depends on a config that does not parse (shown as unknown). */
  delivery: DeliveryClass | null;
  side_effect: boolean;
}

export interface SecretView {
  name: string;
  version: number;
  created_at: Date;
  rotate_by: Date | null;
  rotation_due: boolean;
}

export interface ConnectorView {
  id: string;
  kind: string;
  /** The kind's one-line description; null for a kind this Keel does not know. */
  kind_description: string | null;
  title: string;
  owner: string;
  credential_owner: string | null;
  config: Record<string, unknown>;
  /** Whether the stored config parses under its kind's schema: an invalid one fails at the first use. */
  config_valid: boolean;
  allow_hosts: string[];
  rotation_days: number | null;
  source: 'file' | 'api';
  created_at: string;
  updated_at: string;
  /** The kill switch: while paused every call through it is refused and runs wait at its actions. */
  paused: boolean;
  paused_at: string | null;
  paused_by: string | null;
  pause_reason: string | null;
  actions: ActionView[];
  secrets: SecretView[];
}

/** The actions of a connector as its config makes them. */
export function actionsOf(connector: ConnectorRow, kinds: ReadonlyMap<string, ConnectorKind<unknown>>): { actions: ActionView[]; configValid: boolean } {
  const kind = kinds.get(connector.kind);
  if (!kind) return { actions: [], configValid: false };
  const parsed = kind.config.safeParse(connector.config);
  const actions = Object.entries(kind.actions).map(([name, action]) => ({
    name,
    scope: action.scope,
    delivery: typeof action.delivery === 'function' ? (parsed.success ? action.delivery(parsed.data) : null) : action.delivery,
    side_effect: action.sideEffect,
  }));
  return { actions, configValid: parsed.success };
}

/** Every scope a grant on a connector of this kind can meaningfully give. */
export function scopesOfKind(kind: ConnectorKind<unknown> | undefined): string[] {
  return kind ? [...new Set(Object.values(kind.actions).map((a) => a.scope))].sort() : [];
}

function secretView(s: SecretMeta): SecretView {
  // Picked field by field: a column added to SecretMeta later does not reach the API by itself.
  return { name: s.name, version: s.version, created_at: s.created_at, rotate_by: s.rotate_by, rotation_due: s.rotation_due };
}

/** Views of the given connectors, with one query for all their secrets' metadata. */
export async function connectorViews(db: Queryable, connectors: ConnectorRow[], kinds: ReadonlyMap<string, ConnectorKind<unknown>>, now: Date = new Date()): Promise<ConnectorView[]> {
  const secrets = connectors.length === 1 ? await listSecrets(db, connectors[0]!.id, now) : await listSecrets(db, undefined, now);
  const byConnector = new Map<string, SecretView[]>();
  for (const s of secrets) byConnector.set(s.connector_id, [...(byConnector.get(s.connector_id) ?? []), secretView(s)]);
  return connectors.map((c) => {
    const { actions, configValid } = actionsOf(c, kinds);
    return {
      id: c.id, kind: c.kind, kind_description: kinds.get(c.kind)?.description ?? null, title: c.title, owner: c.owner,
      credential_owner: c.credential_owner, config: c.config, config_valid: configValid, allow_hosts: c.allow_hosts,
      rotation_days: c.rotation_days, source: c.source, created_at: c.created_at, updated_at: c.updated_at,
      paused: c.paused, paused_at: c.paused_at, paused_by: c.paused_by, pause_reason: c.pause_reason,
      actions, secrets: byConnector.get(c.id) ?? [],
    };
  });
}

/** Whether `person` is the connector's owner (emails compare case-insensitively). */
export function isConnectorOwner(connector: Pick<ConnectorRow, 'owner'>, person: string): boolean {
  return connector.owner.trim().toLowerCase() === person.trim().toLowerCase();
}
