import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../errors.js';
import { fingerprint, open, seal, secretAad, type Sealed } from './cipher.js';
import { secretKeyFromText } from './key.js';

const newKey = () => secretKeyFromText(randomBytes(32).toString('hex'), 'KEEL_SECRET_KEY');
const key = newKey();
const value = 'xoxb-canary-Ünïcode/+=&?';
const aad = secretAad('crm', 'token', 3);

/** A copy with one bit of one part flipped. */
function flip(sealed: Sealed, part: keyof Sealed, at = 0): Sealed {
  const copy = Buffer.from(sealed[part]);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return { ...sealed, [part]: copy };
}

function expectBroken(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isKeelError(thrown, 'internal')).toBe(true);
  expect(String((thrown as Error).message)).toContain('failed its integrity check');
  expect(String((thrown as Error).message)).not.toContain(value);
}

describe('sealing a secret', () => {
  it('opens what it sealed, with a new IV every time and no plaintext in the sealed parts', () => {
    const a = seal(key, value, aad);
    const b = seal(key, value, aad);
    expect(open(key, a, aad)).toBe(value);
    expect(open(key, b, aad)).toBe(value);
    expect(a.iv).toHaveLength(12);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(Buffer.concat([a.iv, a.ciphertext, a.tag]).includes(Buffer.from(value))).toBe(false);
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const sealed = seal(key, value, aad);
    expectBroken(() => open(key, flip(sealed, 'ciphertext', 5), aad));
    expectBroken(() => open(key, flip(sealed, 'tag', 15), aad));
    expectBroken(() => open(key, flip(sealed, 'iv'), aad));
    // A truncated tag is a forgery aid, not a shorter check.
    expectBroken(() => open(key, { ...sealed, tag: sealed.tag.subarray(0, 12) }, aad));
  });

  it('refuses a sealed value moved to another connector, name or version', () => {
    const sealed = seal(key, value, aad);
    for (const other of [secretAad('crm2', 'token', 3), secretAad('crm', 'token2', 3), secretAad('crm', 'token', 2)]) {
      expectBroken(() => open(key, sealed, other));
    }
  });

  it('refuses to open under another instance key', () => {
    expectBroken(() => open(newKey(), seal(key, value, aad), aad));
  });
});

describe('fingerprints', () => {
  it('are equal for the same value of the same secret under the same key only', () => {
    const print = fingerprint(key, value, 'crm/token');
    expect(print).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint(key, value, 'crm/token')).toBe(print);
    expect(fingerprint(key, `${value}x`, 'crm/token')).not.toBe(print);
    expect(fingerprint(key, value, 'crm/other')).not.toBe(print);
    expect(fingerprint(newKey(), value, 'crm/token')).not.toBe(print);
  });
});
