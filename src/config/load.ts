import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { KeelError } from '../errors.js';
import { withOtelEnv } from './otel-env.js';
import { configSchema, type Config } from './schema.js';

export interface LoadConfigInput {
  /** Values from command-line flags, already parsed, in the Config shape. */
  flags?: DeepPartial<Config>;
  env?: Record<string, string | undefined>;
  /** Path of keel.yaml (else KEEL_CONFIG, else ./keel.yaml); a missing file is fine unless explicitly given. */
  file?: string;
  fileRequired?: boolean;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * Reads configuration once: flags > KEEL_* (and the standard OTEL_*) environment > keel.yaml >
 * defaults, validated with zod.
 * The result is frozen and passed down; nothing else reads process.env.
 */
export function loadConfig(input: LoadConfigInput = {}): Readonly<Config> {
  const env = input.env ?? {};
  const fromFile = readConfigFile(input.file ?? env.KEEL_CONFIG ?? 'keel.yaml', input.fileRequired ?? env.KEEL_CONFIG !== undefined);
  // The standard OTEL_* variables rank with the environment: over keel.yaml, under flags.
  const merged = deepMerge(withOtelEnv(deepMerge(fromFile, fromEnv(env)), env), input.flags ?? {});
  const parsed = configSchema.safeParse(withDeliverySecrets(withModelsFromEnv(merged, env), env));
  if (!parsed.success) {
    throw new KeelError('invalid_input', 'The configuration is invalid.', {
      hint: 'Fix keel.yaml, the KEEL_* environment variables or the flags named below.',
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    });
  }
  return deepFreeze(parsed.data);
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (required) throw new KeelError('not_found', `Configuration file ${path} does not exist.`);
    return {};
  }
  const value: unknown = parseYaml(readFileSync(path, 'utf8'));
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new KeelError('invalid_input', `${path} must hold a mapping of configuration sections.`);
  }
  return value as Record<string, unknown>;
}

const envNumbers: Array<[string, string[]]> = [
  ['KEEL_PORT', ['server', 'port']],
  ['KEEL_BODY_LIMIT_BYTES', ['server', 'bodyLimitBytes']],
  ['KEEL_WORKER_CONCURRENCY', ['workers', 'concurrency']],
  ['KEEL_LEASE_MS', ['workers', 'leaseMs']],
  ['KEEL_HEARTBEAT_MS', ['workers', 'heartbeatMs']],
  ['KEEL_POLL_MS', ['workers', 'pollMs']],
  ['KEEL_SWEEP_MS', ['workers', 'sweepMs']],
  ['KEEL_DB_POOL_SIZE', ['database', 'poolSize']],
];
const envStrings: Array<[string, string[]]> = [
  ['DATABASE_URL', ['database', 'url']],
  ['KEEL_DATA_DIR', ['database', 'dataDir']],
  ['KEEL_HOST', ['server', 'host']],
  ['KEEL_WORKFLOWS_DIR', ['workflowsDir']],
  ['KEEL_LOAD_STAGE', ['loadStage']],
  ['KEEL_LOG_LEVEL', ['logLevel']],
  ['KEEL_URL', ['apiUrl']],
  ['KEEL_TOKEN', ['apiToken']],
  ['KEEL_PUBLIC_URL', ['auth', 'publicUrl']],
  ['KEEL_OIDC_ISSUER', ['auth', 'oidc', 'issuer']],
  ['KEEL_OIDC_CLIENT_ID', ['auth', 'oidc', 'clientId']],
  ['KEEL_OIDC_CLIENT_SECRET', ['auth', 'oidc', 'clientSecret']],
  ['KEEL_SECRET_KEY', ['secretKey', 'value']],
  ['KEEL_SECRET_KEY_FILE', ['secretKey', 'file']],
];
/**
 * Secrets of Keel itself, mapped to their own settings above. They stay out of `secrets`, which
 * workflow files may name: a workflow must not be able to borrow the sign-in client's secret
 * or the instance key that seals connector secrets.
 */
const ownSecrets = new Set(['KEEL_OIDC_CLIENT_SECRET', 'KEEL_SECRET_KEY', 'KEEL_SECRET_KEY_FILE']);
const envBooleans: Array<[string, string[]]> = [
  ['KEEL_DB_FSYNC', ['database', 'fsync']],
  ['KEEL_WORKERS', ['workers', 'enabled']],
  ['KEEL_SCHEDULER', ['scheduler', 'enabled']],
  ['KEEL_GATES_ENFORCE', ['gates', 'enforce']],
];

function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of envStrings) if (env[name]) setPath(out, path, env[name]);
  // An empty KEEL_SECRET_KEY (a compose file passing an unset variable) is refused at start rather
  // than read as "no key": falling back to a fresh key file would leave the stored secrets unreadable.
  if (env.KEEL_SECRET_KEY === '') setPath(out, ['secretKey', 'value'], '');
  for (const [name, path] of envNumbers) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new KeelError('invalid_input', `${name} must be a number, got "${raw}".`);
    setPath(out, path, n);
  }
  for (const [name, path] of envBooleans) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!['true', 'false', '1', '0'].includes(raw)) {
      throw new KeelError('invalid_input', `${name} must be true or false, got "${raw}".`);
    }
    setPath(out, path, raw === 'true' || raw === '1');
  }
  if (env.KEEL_EGRESS_ALLOW_HOSTS) out.egress = { allowHosts: env.KEEL_EGRESS_ALLOW_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) };
  if (env.KEEL_FAULTS) out.faults = env.KEEL_FAULTS.split(',').map((f) => f.trim()).filter(Boolean);
  // Secrets that workflow files name (`secret: { env: NAME }`) are captured here, once.
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('KEEL_CONNECTOR_')) continue;
    if (name.startsWith('KEEL_') && value !== undefined && /SECRET/.test(name) && !ownSecrets.has(name)) secrets[name] = value;
  }
  if (Object.keys(secrets).length > 0) out.secrets = secrets;
  // What connectors/*.yaml files may refer to, and nothing else; never offered to workflow files.
  const connectorSecrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (name.startsWith('KEEL_CONNECTOR_') && value) connectorSecrets[name] = value;
  if (Object.keys(connectorSecrets).length > 0) out.connectorSecrets = connectorSecrets;
  return out;
}

/** The environment variable a provider's key is read from when the model names none. */
export const defaultKeyEnv = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', 'openai-compatible': 'KEEL_OPENAI_API_KEY' } as const;

/**
 * Adds the `default` model when the configuration names none: a real provider as soon as its key
 * or base URL is in the environment, so a workflow switches to an LLM without any file changing;
 * otherwise the offline template model. Then captures every provider key the models name.
 */
function withModelsFromEnv(merged: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const models = { ...(isPlainObject(merged.models) ? merged.models : {}) };
  if (!('default' in models)) {
    const id = env.KEEL_DEFAULT_MODEL;
    if (env.OPENAI_API_KEY) models.default = { provider: 'openai', model: id ?? 'gpt-4o-mini', ...(env.OPENAI_BASE_URL ? { baseUrl: env.OPENAI_BASE_URL } : {}) };
    else if (env.KEEL_OPENAI_BASE_URL) models.default = { provider: 'openai-compatible', model: id ?? 'llama3.2', baseUrl: env.KEEL_OPENAI_BASE_URL };
    else if (env.ANTHROPIC_API_KEY) models.default = { provider: 'anthropic', model: id ?? 'claude-haiku-4-5' };
    else models.default = { provider: 'template' };
  }
  const keys: Record<string, string> = {};
  const retrieval = isPlainObject(merged.retrieval) ? merged.retrieval : {};
  for (const model of [...Object.values(models), retrieval.embeddingModel]) {
    if (!isPlainObject(model) || typeof model.provider !== 'string' || !(model.provider in defaultKeyEnv)) continue;
    const name = typeof model.apiKeyEnv === 'string' ? model.apiKeyEnv : defaultKeyEnv[model.provider as keyof typeof defaultKeyEnv];
    const value = env[name];
    if (value) keys[name] = value;
  }
  return { ...merged, models, providerKeys: keys };
}

/**
 * Captures the signing secrets of review deliveries (each notification webhook's `secretEnv` and
 * `reviews.callbackSecretEnv`) and takes them out of `secrets`: a workflow file must not be able to
 * borrow the key that proves a message came from Keel.
 */
function withDeliverySecrets(merged: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const names = new Set<string>();
  const reviews = isPlainObject(merged.reviews) ? merged.reviews : {};
  names.add(typeof reviews.callbackSecretEnv === 'string' ? reviews.callbackSecretEnv : 'KEEL_CALLBACK_SECRET');
  const notifications = isPlainObject(merged.notifications) ? merged.notifications : {};
  for (const hook of Array.isArray(notifications.webhooks) ? notifications.webhooks : []) {
    if (isPlainObject(hook) && typeof hook.secretEnv === 'string') names.add(hook.secretEnv);
  }
  const captured: Record<string, string> = {};
  for (const name of names) if (env[name]) captured[name] = env[name];
  const secrets = isPlainObject(merged.secrets) ? Object.fromEntries(Object.entries(merged.secrets).filter(([k]) => !names.has(k))) : merged.secrets;
  return { ...merged, deliverySecrets: captured, ...(secrets === undefined ? {} : { secrets }) };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (isPlainObject(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
