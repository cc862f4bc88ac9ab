// connectors/*.yaml: a connector described in a file beside the workflows, its secrets given as
// references (an environment variable named KEEL_CONNECTOR_*, or a file such as a Docker secret),
// never as values. At start each file is checked against its kind, saved, and its secrets read
// from their references and sealed into the store (a new version only when a value changed).
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { isKeelError, KeelError, type FieldProblem } from '../errors.js';
import { saveConnector, type ConnectorDefinition } from './connector-store.js';
import { checkConnectorConfig } from './connector-check.js';
import { scopesOfKind } from './connector-view.js';
import type { ConnectorKind } from './kinds/kind.js';
import { putSecret, type SecretKey } from './secrets/index.js';

/** Connector files may read only these variables: a file cannot borrow Keel's own or any other secret. */
export const connectorSecretEnvPrefix = 'KEEL_CONNECTOR_';

const secretRef = z.union([
  z.object({ env: z.string().regex(/^KEEL_CONNECTOR_[A-Z0-9_]+$/, { error: `must name an environment variable starting with ${connectorSecretEnvPrefix}` }) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

const connectorFileSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string().min(1),
  owner: z.string().min(1),
  credential_owner: z.string().min(1).optional(),
  rotation_days: z.number().int().positive().optional(),
  allow_hosts: z.array(z.string().min(1)).default([]),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), secretRef).default({}),
  /** The owner's standing approvals: these workflows may use these scopes (applied once workflows are loaded). */
  grants: z.array(z.object({
    workflow: z.string().min(1),
    scopes: z.array(z.string().min(1)).min(1),
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date written YYYY-MM-DD' }).optional(),
  }).strict()).default([]),
}).strict();

export type SecretRef = z.infer<typeof secretRef>;

export interface ConnectorFile {
  definition: ConnectorDefinition;
  secrets: Record<string, SecretRef>;
  grants: FileGrant[];
}

/** One workflow's scopes approved in a connector file by the connector's owner. */
export interface FileGrant {
  workflow: string;
  scopes: string[];
  expires?: string;
}

/** A loaded file's grants, kept until the workflows they name are deployed. */
export interface ConnectorFileGrants {
  connectorId: string;
  file: string;
  grants: FileGrant[];
}

/** Parses and checks one file: its shape, its kind's config, and a reference for every secret the config names. */
export function parseConnectorFile(text: string, fileName: string, kinds: ReadonlyMap<string, ConnectorKind<unknown>>): ConnectorFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new KeelError('invalid_input', `${fileName} is not valid YAML.`, { problems: [{ path: fileName, message: error instanceof Error ? error.message : String(error) }] });
  }
  const shape = connectorFileSchema.safeParse(raw);
  if (!shape.success) throw fileError(fileName, shape.error.issues.map((i) => ({ path: `${fileName} ${i.path.join('.')}`, message: i.message })));
  const file = shape.data;
  // Paths in a file are relative to its project: the parent of the folder holding the file.
  const projectDir = dirname(dirname(resolve(fileName)));
  const config = kinds.get(file.kind)?.fromProjectFile?.(file.config, projectDir) ?? file.config;
  const checked = checkConnectorConfig(kinds, file.kind, config);
  if (!checked.ok) throw fileError(fileName, checked.problems.map((p) => ({ ...p, path: `${fileName} ${p.path}` })));
  const { kind } = checked;
  const missing = kind.secretNames(checked.config).filter((name) => !(name in file.secrets));
  if (missing.length > 0) {
    throw fileError(fileName, missing.map((name) => ({ path: `${fileName} secrets.${name}`, message: 'the config names this secret; give a reference: { env: KEEL_CONNECTOR_... } or { file: /run/secrets/... }' })));
  }
  const scopes = scopesOfKind(kind);
  const unknownScopes = file.grants.flatMap((g, i) => g.scopes.flatMap((scope, j) => (scopes.includes(scope) ? [] : [{
    path: `${fileName} grants[${i}].scopes[${j}]`, message: `${file.kind} connectors have no scope ${scope}; theirs: ${scopes.join(', ')}`,
  }])));
  if (unknownScopes.length > 0) throw fileError(fileName, unknownScopes);
  return {
    definition: {
      id: file.id, kind: file.kind, title: file.title, owner: file.owner, credentialOwner: file.credential_owner,
      config, allowHosts: file.allow_hosts, rotationDays: file.rotation_days,
    },
    secrets: file.secrets,
    grants: file.grants,
  };
}

function fileError(fileName: string, problems: FieldProblem[]): KeelError {
  return new KeelError('invalid_input', `${fileName} is not a valid connector file.`, { problems });
}

export interface ConnectorFileDeps {
  db: Db;
  kinds: ReadonlyMap<string, ConnectorKind<unknown>>;
  secretKey: SecretKey;
  /** The KEEL_CONNECTOR_* variables, captured once by the configuration. */
  env: Readonly<Record<string, string>>;
  logError(message: string, facts: Record<string, unknown>): void;
  logInfo(message: string, facts: Record<string, unknown>): void;
}

/**
 * Loads every connectors/*.yaml. A bad file, or a secret whose reference gives no value, is logged
 * with what is wrong and skipped (the rest still load); its actions then fail with a clear
 * `misconfigured` error at run time instead of the server refusing to start.
 */
export async function loadConnectorFiles(deps: ConnectorFileDeps, dir: string): Promise<{ loaded: string[]; failed: string[]; grants: ConnectorFileGrants[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return { loaded: [], failed: [], grants: [] };
  }
  const loaded: string[] = [];
  const failed: string[] = [];
  const grants: ConnectorFileGrants[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const file = parseConnectorFile(await readFile(path, 'utf8'), path, deps.kinds);
      const { changed } = await saveConnector(deps.db, file.definition, 'file', 'keel:startup');
      const versions = await syncSecrets(deps, file);
      deps.logInfo('connector loaded', { connector: file.definition.id, kind: file.definition.kind, changed, secrets: versions });
      loaded.push(file.definition.id);
      grants.push({ connectorId: file.definition.id, file: path, grants: file.grants });
    } catch (error) {
      if (!isKeelError(error)) throw error;
      deps.logError('connector file not loaded', { file: path, message: error.message, problems: error.problems });
      failed.push(path);
    }
  }
  return { loaded, failed, grants };
}

async function syncSecrets(deps: ConnectorFileDeps, file: ConnectorFile): Promise<Record<string, number>> {
  const versions: Record<string, number> = {};
  for (const [name, ref] of Object.entries(file.secrets)) {
    const value = await resolveRef(deps, ref, name);
    if (value === undefined) {
      deps.logError('connector secret has no value; actions that need it fail until it is set', { connector: file.definition.id, secret: name, ...('env' in ref ? { variable: ref.env } : { file: ref.file }) });
      continue;
    }
    const stored = await putSecret(deps.db, deps.secretKey, { connectorId: file.definition.id, name, value, actor: 'keel:startup' });
    versions[name] = stored.version;
  }
  return versions;
}

async function resolveRef(deps: ConnectorFileDeps, ref: SecretRef, name: string): Promise<string | undefined> {
  if ('env' in ref) return deps.env[ref.env] || undefined;
  try {
    // A trailing newline is how secret files are usually written; it is not part of the secret.
    return (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '') || undefined;
  } catch (error) {
    throw new KeelError('misconfigured', `The file for secret ${name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { details: { file: ref.file } });
  }
}
