import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('replaces the value of every secret-named key, at any depth and in any case', () => {
    const out = redactSecrets({
      name: 'alice',
      Password: 'hunter2',
      password_hash: '$argon2id$...',
      nested: { client_secret: 's', apiKey: 'k', API_KEY: 'k2', private_key: 'pem', list: [{ Authorization: 'Bearer x' }, { ok: 1 }] },
      headers: { cookie: 'sid=1', 'set-cookie': 'sid=2', accept: 'json' },
      session_token: { value: 'deep', kept: false },
    });
    expect(out).toEqual({
      name: 'alice',
      Password: '[redacted]',
      password_hash: '[redacted]',
      nested: { client_secret: '[redacted]', apiKey: '[redacted]', API_KEY: '[redacted]', private_key: '[redacted]', list: [{ Authorization: '[redacted]' }, { ok: 1 }] },
      headers: { cookie: '[redacted]', 'set-cookie': '[redacted]', accept: 'json' },
      session_token: '[redacted]',
    });
  });

  it('keeps identifiers of credentials, which name one without being one', () => {
    expect(redactSecrets({ token_id: 'tok_1', session_ids: ['ses_1'], token: 'keel_x' })).toEqual({ token_id: 'tok_1', session_ids: ['ses_1'], token: '[redacted]' });
  });

  it('leaves other keys and values alone and never changes its input', () => {
    const input = { stage: 'production', count: 2, note: 'the password is in the vault', tags: ['token'], when: null };
    const copy = structuredClone(input);
    expect(redactSecrets(input)).toEqual(input);
    expect(input).toEqual(copy);
  });

  it('normalises to plain JSON: dates become ISO strings and undefined values disappear', () => {
    expect(redactSecrets({ at: new Date('2025-01-02T03:04:05.678Z'), gone: undefined, list: [undefined] }))
      .toEqual({ at: '2025-01-02T03:04:05.678Z', list: [null] });
  });
});
