/**
 * How long a server asked us to wait, in ms: `retry-after-ms` (OpenAI's), else `Retry-After` as
 * seconds or an HTTP date. Undefined when it did not say (or said something unreadable). Header
 * names are matched in any case, since the egress client and the AI SDK hand them over differently.
 */
export function retryAfterMs(headers: Readonly<Record<string, string>> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number(lower['retry-after-ms']);
  if (lower['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = lower['retry-after']?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
