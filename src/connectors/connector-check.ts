// One check of a connector's description, whether it comes from connectors/*.yaml or the API: the
// kind is one this Keel knows and the config is valid for it. Problems are named by field, so each
// caller can prefix them with where the description came from (a file name, or `body`).
import type { FieldProblem } from '../errors.js';
import type { ConnectorKind } from './kinds/kind.js';

export type ConnectorCheck =
  | { ok: true; kind: ConnectorKind<unknown>; config: unknown }
  | { ok: false; problems: FieldProblem[] };

export function checkConnectorConfig(kinds: ReadonlyMap<string, ConnectorKind<unknown>>, kindName: string, config: unknown): ConnectorCheck {
  const kind = kinds.get(kindName);
  if (!kind) return { ok: false, problems: [{ path: 'kind', message: `unknown kind; one of ${[...kinds.keys()].join(', ')}` }] };
  const parsed = kind.config.safeParse(config);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => ({ path: `config.${i.path.join('.')}`, message: i.message })) };
  return { ok: true, kind, config: parsed.data };
}
