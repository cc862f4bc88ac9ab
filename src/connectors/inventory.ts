// The access inventory: per connector, who owns it and who holds its credential, whether a secret is
// due for rotation, and which workflow holds which scope, when it was last used, and whether it sat
// unused for 30 days (a grant nobody uses is access nobody needs). Open requests are listed apart,
// since they wait for someone. It is what a new owner reads at handoff, so it also renders as
// Markdown to paste into a document.
import type { Queryable } from '../db/index.js';
import { listConnectors } from './connector-store.js';
import { listGrants, type GrantRow, type GrantStatus } from './grants.js';
import { listSecrets } from './secrets/index.js';

/** A grant is flagged unused after this long without a use (or since approval, if never used). */
export const unusedAfterDays = 30;
const dayMs = 86_400_000;

export interface InventoryGrant {
  id: string;
  workflow_id: string;
  scope: string;
  status: GrantStatus;
  decided_by: string | null;
  decided_at: string | null;
  expires_at: string | null;
  expired: boolean;
  last_used_at: string | null;
  use_count: number;
  unused_30d: boolean;
}

export interface InventoryRequest {
  id: string;
  workflow_id: string;
  connector_id: string;
  scope: string;
  reason: string | null;
  requested_by: string;
  requested_at: string;
}

export interface InventoryConnector {
  id: string;
  kind: string;
  title: string;
  owner: string;
  credential_owner: string | null;
  rotation_days: number | null;
  /** Whether any current secret is past its rotation date. */
  rotation_due: boolean;
  /** The earliest rotation date of its current secrets; null when none has one. */
  next_rotate_by: string | null;
  /** The names of the secrets due now. */
  secrets_due: string[];
  grants: InventoryGrant[];
}

export interface AccessInventory {
  generated_at: string;
  unused_after_days: number;
  connectors: InventoryConnector[];
  open_requests: InventoryRequest[];
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

function unused(g: GrantRow, now: Date): boolean {
  if (g.status !== 'approved') return false;
  const since = g.last_used_at ?? g.decided_at;
  return since !== null && now.getTime() - new Date(since).getTime() > unusedAfterDays * dayMs;
}

/**
 * The inventory at `now`. `mayShow(grant, connectorOwner)` decides which grants and requests the
 * person sees (the routes pass: workflows they may see, or connectors they own); every connector
 * is listed, since who owns what is never private.
 */
export async function accessInventory(db: Queryable, now: Date, mayShow: (grant: GrantRow, connectorOwner: string) => boolean): Promise<AccessInventory> {
  const [connectors, grants, secrets] = await Promise.all([listConnectors(db), listGrants(db), listSecrets(db, undefined, now)]);
  const owners = new Map(connectors.map((c) => [c.id, c.owner]));
  const shown = grants.filter((g) => mayShow(g, owners.get(g.connector_id) ?? ''));
  return {
    generated_at: now.toISOString(),
    unused_after_days: unusedAfterDays,
    connectors: connectors.map((c) => {
      const own = secrets.filter((s) => s.connector_id === c.id);
      const dates = own.map((s) => s.rotate_by).filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
      return {
        id: c.id, kind: c.kind, title: c.title, owner: c.owner, credential_owner: c.credential_owner, rotation_days: c.rotation_days,
        rotation_due: own.some((s) => s.rotation_due),
        next_rotate_by: dates.length > 0 ? new Date(Math.min(...dates)).toISOString() : null,
        secrets_due: own.filter((s) => s.rotation_due).map((s) => s.name),
        grants: shown.filter((g) => g.connector_id === c.id && g.status === 'approved').map((g) => ({
          id: g.id, workflow_id: g.workflow_id, scope: g.scope, status: g.status, decided_by: g.decided_by, decided_at: iso(g.decided_at),
          expires_at: iso(g.expires_at), expired: g.expires_at !== null && new Date(g.expires_at) <= now,
          last_used_at: iso(g.last_used_at), use_count: Number(g.use_count), unused_30d: unused(g, now),
        })),
      };
    }),
    open_requests: shown.filter((g) => g.status === 'requested').map((g) => ({
      id: g.id, workflow_id: g.workflow_id, connector_id: g.connector_id, scope: g.scope, reason: g.reason,
      requested_by: g.requested_by, requested_at: iso(g.requested_at) ?? '',
    })),
  };
}

/** One table cell: pipes escaped and lines joined, so a value cannot break the table. */
function cell(value: unknown): string {
  const text = value === null || value === undefined || value === '' ? '-' : String(value);
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(headers: string[], rows: unknown[][]): string[] {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** The inventory as Markdown: a section and a table of grants per connector, then the open requests. */
export function inventoryMarkdown(inv: AccessInventory): string {
  const lines = [`# Access inventory`, '', `Generated ${inv.generated_at}. Grants unused for ${inv.unused_after_days} days are flagged.`, ''];
  for (const c of inv.connectors) {
    lines.push(`## ${cell(c.id)} (${cell(c.kind)}): ${cell(c.title)}`, '');
    lines.push(`- owner: ${cell(c.owner)}`, `- credential owner: ${cell(c.credential_owner)}`);
    const due = c.rotation_due ? `**due now** (${c.secrets_due.map(cell).join(', ')})` : c.next_rotate_by ? `by ${c.next_rotate_by}` : 'no rotation date';
    lines.push(`- rotation: ${due}`, '');
    if (c.grants.length === 0) lines.push('No workflow holds a grant on it.', '');
    else {
      lines.push(...mdTable(['workflow', 'scope', 'expires', 'last used', 'uses', 'unused 30d'],
        c.grants.map((g) => [g.workflow_id, g.scope, g.expired ? `expired ${g.expires_at}` : g.expires_at, g.last_used_at ?? 'never', g.use_count, g.unused_30d ? '**yes**' : 'no'])), '');
    }
  }
  lines.push('## Open requests', '');
  if (inv.open_requests.length === 0) lines.push('None.');
  else {
    lines.push(...mdTable(['grant', 'workflow', 'connector', 'scope', 'asked by', 'asked at', 'reason'],
      inv.open_requests.map((r) => [r.id, r.workflow_id, r.connector_id, r.scope, r.requested_by, r.requested_at, r.reason])));
  }
  return `${lines.join('\n')}\n`;
}
