// Secrets never reach the audit log: before an event is stored, any key (at any depth) whose name
// says it holds a credential has its value replaced. The event is also normalised to plain JSON, so
// the stored columns and the hashed body hold exactly the same values.

/** Key names that hold credentials: password, secret, token, api_key, private_key, authorization, cookie. */
const secretKey = /password|secret|token|api[_-]?key|private[_-]?key|authorization|cookie/i;

export const redacted = '[redacted]';

/** Whether a key's value must never be stored. */
export function isSecretKey(key: string): boolean {
  // An identifier names a credential without being one (token_id, session_id): kept, so the log can say which.
  return secretKey.test(key) && !/(^|_)ids?$/i.test(key);
}

/** A plain-JSON copy of `value` with every secret-named key's value replaced by "[redacted]". */
export function redactSecrets<T>(value: T): T {
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  return strip(JSON.parse(json)) as T;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) ? redacted : strip(v);
  return out;
}
