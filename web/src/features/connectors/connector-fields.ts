// The connector form's fields as text, and the PUT /api/connectors/{id} body made from them. What
// the page can tell before asking (JSON syntax, an id the dashboard could not show) it says at once;
// everything else the server checks and answers as field problems, placed by fieldOf.
import type { FieldProblem } from '../../lib/api';
import type { Connector } from '../../lib/api-types';
import { exampleText } from './kind-examples';

export interface ConnectorFields {
  id: string;
  kind: string;
  title: string;
  owner: string;
  credential_owner: string;
  rotation_days: string;
  /** Comma or line separated. */
  allow_hosts: string;
  /** JSON text. */
  config: string;
}

export type FieldName = keyof ConnectorFields;

export interface ConnectorBody {
  kind: string;
  title: string;
  owner: string;
  credential_owner?: string;
  rotation_days?: number;
  allow_hosts: string[];
  config: Record<string, unknown>;
}

export function newFields(kind: string, owner: string): ConnectorFields {
  return { id: '', kind, title: '', owner, credential_owner: '', rotation_days: '', allow_hosts: '', config: exampleText(kind) };
}

export function fieldsOf(c: Connector): ConnectorFields {
  return {
    id: c.id, kind: c.kind, title: c.title, owner: c.owner, credential_owner: c.credential_owner ?? '',
    rotation_days: c.rotation_days === null ? '' : String(c.rotation_days), allow_hosts: c.allow_hosts.join('\n'),
    config: JSON.stringify(c.config, null, 2),
  };
}

export type ParsedConfig = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/** The config text as an object, or why it is not one (with the line and column when the engine gives a position). */
export function parseConfig(text: string): ParsedConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(raw);
    if (!at) return { ok: false, message: `JSON syntax: ${raw}` };
    const before = text.slice(0, Number(at[1])).split('\n');
    return { ok: false, message: `JSON syntax: ${raw.replace(/ (in JSON )?at position \d+.*$/, '')} (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'The config must be a JSON object: { … }.' };
  return { ok: true, value: value as Record<string, unknown> };
}

export function hostsOf(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The body to send, or the problems the page already knows of. */
export function bodyOf(fields: ConnectorFields, creating: boolean): { ok: true; body: ConnectorBody } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  // /connectors/new is the page of this form, so a connector called "new" could not be opened here.
  if (creating && fields.id.trim() === 'new') problems.push({ path: 'id', message: '"new" is the address of this page; choose another id' });
  const config = parseConfig(fields.config);
  if (!config.ok) problems.push({ path: 'config', message: config.message });
  const days = fields.rotation_days.trim();
  if (days && !/^[1-9]\d*$/.test(days)) problems.push({ path: 'rotation_days', message: 'a whole number of days, 1 or more' });
  if (problems.length > 0 || !config.ok) return { ok: false, problems };
  const credentialOwner = fields.credential_owner.trim();
  return {
    ok: true,
    body: {
      kind: fields.kind, title: fields.title.trim(), owner: fields.owner.trim(),
      ...(credentialOwner ? { credential_owner: credentialOwner } : {}),
      ...(days ? { rotation_days: Number(days) } : {}),
      allow_hosts: hostsOf(fields.allow_hosts), config: config.value,
    },
  };
}

const fieldNames: readonly FieldName[] = ['id', 'kind', 'title', 'owner', 'credential_owner', 'rotation_days', 'allow_hosts', 'config'];

/** A problem's path as the person reads it (without the request part), and the field it belongs to. */
export function placeProblem(problem: FieldProblem): { path: string; field: FieldName | undefined } {
  const path = problem.path.replace(/^(body|json)\./, '');
  const head = path.split('.')[0] as FieldName;
  return { path, field: fieldNames.includes(head) ? head : undefined };
}
