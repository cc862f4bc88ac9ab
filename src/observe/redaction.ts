// Redaction runs before a span is stored: secret-named keys lose their values (as in the audit log),
// and strings lose emails, card numbers, phone numbers and the operator's own patterns. What is
// masked says what it was ([email], [card], ...), so a trace still reads.
import type { RedactionConfig } from '../config/index.js';
import { isSecretKey } from '../audit/index.js';
import type { AttributeValue, Attributes } from './span.js';

export interface Redactor {
  /** A plain-JSON copy of `value` with secrets and personal data masked. */
  value<T>(value: T): T;
  /** `value` (plain JSON, as read from jsonb) masked and written as JSON text, in one pass. */
  json(value: unknown): string;
  /**
   * The same for span attributes that are already plain values (primitives and flat arrays, as the
   * OTLP decoders produce them): walked directly, without value()'s JSON round trip, which the OTLP
   * receiver would otherwise pay for every span it stores.
   */
  attributes(attributes: Attributes): Attributes;
  text(text: string): string;
}

const email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// Digits with single spaces or dashes between them; the Luhn check decides whether it is a card.
const cardCandidate = /\b\d(?:[ -]?\d){12,18}\b/g;
// An optional +, then digits with spaces, dots, dashes or brackets between them: 8-15 digits after
// a +, else 10-15 (so that a date such as 2027-01-04, eight digits, stays as it is).
const phoneCandidate = /(?:\+|\b)\(?\d(?:[\s.()-]{0,2}\d){7,14}\b/g;

// Token counts (gen_ai.usage.input_tokens, ai.usage.promptTokens, llm.token_count.prompt) have
// "token" in their name without holding a credential: a number under such a key is kept, or no
// trace would show what its model calls used.
const tokenCount = /tokens$|token_count/i;
const anyDigit = /\d/;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

export function createRedactor(config: RedactionConfig): Redactor {
  const custom = config.patterns.map((p) => ({ re: new RegExp(p.pattern, 'g'), mask: `[${p.name}]` }));
  const text = (input: string): string => {
    let out = input;
    // Cheap checks first: most attribute values have no '@' and no digit, and skip the patterns.
    if (config.emails && out.includes('@')) out = out.replace(email, '[email]');
    const digits = (config.cardNumbers || config.phoneNumbers) && anyDigit.test(out);
    if (config.cardNumbers && digits) out = out.replace(cardCandidate, (m) => (luhn(m.replace(/\D/g, '')) ? '[card]' : m));
    if (config.phoneNumbers && digits) {
      out = out.replace(phoneCandidate, (m) => {
        const digits = m.replace(/\D/g, '').length;
        return digits <= 15 && digits >= (m.startsWith('+') ? 8 : 10) ? '[phone]' : m;
      });
    }
    for (const { re, mask } of custom) out = out.replace(re, mask);
    return out;
  };
  // Attribute keys repeat across spans: each key's verdict is worked out once (bounded, so a sender
  // inventing keys cannot grow it without end).
  const verdicts = new Map<string, boolean>();
  const secret = (key: string): boolean => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = isSecretKey(key);
      if (verdicts.size >= 10_000) verdicts.clear();
      verdicts.set(key, verdict);
    }
    return verdict;
  };
  const masked = (key: string, v: unknown) => secret(key) && !(typeof v === 'number' && tokenCount.test(key));
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = masked(key, v) ? '[redacted]' : walk(v);
    return out;
  };
  const attributeValue = (v: AttributeValue): AttributeValue =>
    typeof v === 'string' ? text(v) : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? text(x) : x)) : v;
  return {
    text,
    attributes(attributes: Attributes): Attributes {
      const out: Attributes = {};
      for (const key in attributes) {
        const v = attributes[key]!;
        const redactedValue = masked(key, v) ? '[redacted]' : attributeValue(v);
        if (key === '__proto__') Object.defineProperty(out, key, { value: redactedValue, enumerable: true, writable: true, configurable: true });
        else out[key] = redactedValue;
      }
      return out;
    },
    value<T>(value: T): T {
      const json = JSON.stringify(value);
      return json === undefined ? value : (walk(JSON.parse(json)) as T);
    },
    json(value: unknown): string {
      // Values read from jsonb are plain JSON already: walked as they are, without a copy first.
      return JSON.stringify(walk(value)) ?? 'null';
    },
  };
}
