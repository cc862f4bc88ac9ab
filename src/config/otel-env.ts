// The standard OpenTelemetry environment variables that say where Keel exports its spans, read the
// way the OTLP exporter specification reads them: a signal's own variable (…_TRACES_…) wins over the
// general one, OTEL_EXPORTER_OTLP_ENDPOINT is a base URL that gets /v1/traces appended, and
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is. Header values are credentials: no error
// raised here repeats one.
import { KeelError } from '../errors.js';

type Env = Record<string, string | undefined>;

/** What the variables contribute to `observe.export`; only the fields that were set. */
interface OtlpExportFromEnv {
  endpoint?: string;
  protocol?: 'http/protobuf' | 'http/json';
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Applies the OTEL_* variables to the merged configuration (keel.yaml and KEEL_* already in it):
 * they fill `observe.serviceName` and `observe.export`, overriding what keel.yaml set field by field.
 * Export stays off while no endpoint is named anywhere, whatever else is set (a platform may set
 * OTEL_EXPORTER_OTLP_PROTOCOL for every process it starts); OTEL_SDK_DISABLED=true turns it off.
 */
export function withOtelEnv(merged: Record<string, unknown>, env: Env): Record<string, unknown> {
  const observe: Record<string, unknown> = isPlainObject(merged.observe) ? { ...merged.observe } : {};
  if (env.OTEL_SERVICE_NAME) observe.serviceName = env.OTEL_SERVICE_NAME;
  if (otelSdkDisabled(env)) {
    delete observe.export;
    return { ...merged, observe };
  }
  const current = isPlainObject(observe.export) ? observe.export : undefined;
  const fromEnv = otlpExportFromEnv(env);
  if (fromEnv.endpoint === undefined && current?.endpoint === undefined) {
    return Object.keys(observe).length > 0 ? { ...merged, observe } : merged;
  }
  if (otlpProtocolEnv(env) === 'grpc') {
    throw new KeelError('invalid_input', 'OTLP over gRPC is not supported: Keel exports spans over HTTP.', {
      hint: 'Set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf (the default) or http/json, and point the endpoint at the collector\'s OTLP/HTTP port (4318 by default).',
    });
  }
  const fileHeaders = isPlainObject(current?.headers) ? (current.headers as Record<string, string>) : {};
  const headers = mergeHeaders(fileHeaders, fromEnv.headers ?? {});
  observe.export = { ...current, ...fromEnv, headers };
  return { ...merged, observe };
}

/** OTEL_SDK_DISABLED: only "true" (any case) disables, as the specification reads boolean variables. */
function otelSdkDisabled(env: Env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/** The fields the OTEL_EXPORTER_OTLP_* variables set; protocol `grpc` is left to the caller to refuse. */
function otlpExportFromEnv(env: Env): OtlpExportFromEnv {
  const out: OtlpExportFromEnv = {};
  const endpoint = tracesEndpoint(env);
  if (endpoint !== undefined) out.endpoint = endpoint;
  const protocol = otlpProtocolEnv(env);
  if (protocol === 'http/protobuf' || protocol === 'http/json') out.protocol = protocol;
  else if (protocol !== undefined && protocol !== 'grpc') {
    const name = pick(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL')!.name;
    throw new KeelError('invalid_input', `${name} must be http/protobuf or http/json, got "${protocol}".`);
  }
  const timeout = pick(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT');
  if (timeout) {
    if (!/^\d+$/.test(timeout.value)) throw new KeelError('invalid_input', `${timeout.name} must be a whole number of milliseconds, got "${timeout.value}".`);
    out.timeoutMs = Number(timeout.value);
  }
  // The signal's own headers win over the general ones, key by key.
  const general = env.OTEL_EXPORTER_OTLP_HEADERS ? parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS') : {};
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ? parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') : {};
  if (Object.keys(general).length + Object.keys(traces).length > 0) out.headers = mergeHeaders(general, traces);
  return out;
}

function otlpProtocolEnv(env: Env): string | undefined {
  return pick(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL')?.value;
}

/**
 * The traces URL: the signal's own variable as it is, else the base URL with v1/traces appended
 * relative to its path (http://c:4318 and http://c:4318/ both give http://c:4318/v1/traces,
 * http://c:4318/otlp gives http://c:4318/otlp/v1/traces). A value that is not a URL is passed on
 * unchanged for the schema to refuse under its field name.
 */
function tracesEndpoint(env: Env): string | undefined {
  const own = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return base;
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return new URL('v1/traces', url).href;
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses `k=v,k2=v2` (the W3C Baggage form without properties): whitespace around keys and values
 * is dropped, both are percent-decoded, a value may itself contain `=`. Errors name the variable and
 * the entry's position or key, never a value.
 */
function parseOtlpHeaders(text: string, variable: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return;
    const where = `${variable} entry ${index + 1}`;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new KeelError('invalid_input', `${where} is not key=value.`, { hint: 'Write the headers as key=value pairs separated by commas; percent-encode commas in values as %2C.' });
    const key = decode(entry.slice(0, eq).trim(), where);
    if (!tokenPattern.test(key)) throw new KeelError('invalid_input', `${where} does not have a valid header name.`);
    const rawValue = entry.slice(eq + 1).trim();
    // Baggage properties (;k=v) mean nothing to an HTTP header; dropping them would cut a credential short.
    if (rawValue.includes(';')) {
      throw new KeelError('invalid_input', `${variable} header ${key} has ;-separated properties, which OTLP headers do not support.`, { hint: 'Percent-encode a ; inside a value as %3B.' });
    }
    const value = decode(rawValue, `${variable} header ${key}`);
    // A line break or NUL in a header value would be refused by Node at send time, or worse split the request.
    if (/[\r\n\0]/.test(value)) throw new KeelError('invalid_input', `${variable} header ${key} has a control character in its value.`);
    headers[key] = value;
  });
  return headers;
}

function decode(text: string, where: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new KeelError('invalid_input', `${where} is not valid percent-encoding.`, { hint: 'Write a literal % as %25.' });
  }
}

/** Header names compare without case: a later key replaces an earlier one however it is written. */
function mergeHeaders(...sets: Array<Record<string, string>>): Record<string, string> {
  const out = new Map<string, [string, string]>();
  for (const set of sets) for (const [k, v] of Object.entries(set)) out.set(k.toLowerCase(), [k, v]);
  return Object.fromEntries(out.values());
}

function pick(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
