import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/index.js';
import { createRedactor } from './redaction.js';
import type { Attributes } from './span.js';

const redactor = createRedactor(configSchema.parse({}).observe.redaction);

describe('redaction of span attributes', () => {
  it('masks personal data and secret-named keys but keeps token counts', () => {
    const attributes: Attributes = {
      'customer.email': 'write to ada@example.com today', 'card': '4111 1111 1111 1111', 'phone': 'call +44 20 7946 0958',
      'api_key': 'sk-live-123', 'auth.token': 12345, 'gen_ai.usage.input_tokens': 812, 'ai.usage.promptTokens': 7, 'gen_ai.request.max_tokens': 256,
      'tags': ['ops', 'mail ada@example.com'], 'date': '2027-01-04', 'ok': true, 'none': null,
    };
    expect(redactor.attributes(attributes)).toEqual({
      'customer.email': 'write to [email] today', 'card': '[card]', 'phone': 'call [phone]', 'api_key': '[redacted]', 'auth.token': '[redacted]',
      'gen_ai.usage.input_tokens': 812, 'ai.usage.promptTokens': 7, 'gen_ai.request.max_tokens': 256,
      'tags': ['ops', 'mail [email]'], 'date': '2027-01-04', 'ok': true, 'none': null,
    });
  });

  it('gives the same answer as value() without the JSON round trip', () => {
    const samples: Attributes[] = [
      { a: 'x', n: 1.5, list: [1, 2, 3], token: 'abc', 'gen_ai.usage.output_tokens': '12', secret_id: 'kept: an id names a secret' },
      { 'user.phone': '0207 946 0958 or 020-7946-0958', 'order': 'no 12345678', card: '4111-1111-1111-1112' },
    ];
    for (const s of samples) expect(redactor.attributes(s)).toEqual(redactor.value(s));
  });
});
