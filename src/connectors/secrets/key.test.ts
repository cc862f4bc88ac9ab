import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { isKeelError } from '../../errors.js';
import { loadSecretKey, secretKeyFromText, weakKeyReason } from './key.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'keel-key-'));

/** The error a call throws, checked to be a KeelError that does not repeat `secret`. */
async function refusal(fn: () => unknown, secret?: string) {
  let thrown: unknown;
  try {
    await fn();
  } catch (error) {
    thrown = error;
  }
  if (!isKeelError(thrown, 'misconfigured')) throw new Error(`expected a misconfigured KeelError, got ${String(thrown)}`);
  if (secret) expect(JSON.stringify({ m: thrown.message, h: thrown.hint, d: thrown.details })).not.toContain(secret);
  return thrown;
}

describe('the instance key from KEEL_SECRET_KEY', () => {
  const bytes = randomBytes(32);

  it('reads 64 hex digits and base64 (padded, unpadded, URL-safe) of the same 32 bytes as the same key', () => {
    const forms = [
      bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'),
      bytes.toString('base64').replace(/=$/, ''), bytes.toString('base64url'), `  ${bytes.toString('base64')}\n`,
    ];
    const ids = forms.map((f) => secretKeyFromText(f, 'KEEL_SECRET_KEY').id);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(secretKeyFromText(randomBytes(32).toString('hex'), 'KEEL_SECRET_KEY').id).not.toBe(ids[0]);
  });

  it('keeps the key bytes off the object others hold', () => {
    const key = secretKeyFromText(bytes.toString('hex'), 'KEEL_SECRET_KEY');
    const shown = JSON.stringify(key);
    expect(shown).not.toContain(bytes.toString('hex'));
    expect(shown).not.toContain(bytes.toString('base64'));
    expect(Object.keys(key).sort()).toEqual(['created', 'id', 'source']);
  });

  it('refuses wrong lengths and non-key text, naming the variable and the form but never the value', async () => {
    for (const value of [randomBytes(16).toString('hex'), randomBytes(33).toString('hex'), randomBytes(24).toString('base64'), randomBytes(48).toString('base64'), 'not a key at all, just words!!']) {
      const error = await refusal(() => secretKeyFromText(value, 'KEEL_SECRET_KEY'), value);
      expect(error.message).toMatch(/^KEEL_SECRET_KEY must be 32 bytes written as 64 hex digits or 44 base64 characters/);
    }
    expect((await refusal(() => secretKeyFromText(randomBytes(24).toString('base64'), 'KEEL_SECRET_KEY'))).message).toContain('got 24 bytes as base64');
    expect((await refusal(() => secretKeyFromText('', 'KEEL_SECRET_KEY'))).message).toBe('KEEL_SECRET_KEY is empty; it must hold a 32-byte key.');
  });

  it('refuses keys anyone could guess: zeros, one repeated byte, counting, short patterns, placeholders, text', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(32), /all bytes are zero/],
      [Buffer.alloc(32, 0xff), /all bytes are the same/],
      [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), /counting sequence/],
      [Buffer.from('deadbeef'.repeat(8), 'hex'), /short pattern/],
      [Buffer.from('changemechangemechangemechangeme'), /short pattern/],
      [Buffer.from('please-changeme-before-prod-0001'), /placeholder "changeme"/],
      [Buffer.from('my-super-secret-key-for-keel-x01'), /placeholder "secret"/],
      [Buffer.from('Tr0ub4dor&3 is what I always use'), /readable text/],
    ];
    for (const [key, reason] of cases) {
      expect(weakKeyReason(key)).toMatch(reason);
      for (const form of [key.toString('hex'), key.toString('base64')]) {
        const error = await refusal(() => secretKeyFromText(form, 'KEEL_SECRET_KEY'), form);
        expect(error.message).toContain('KEEL_SECRET_KEY holds a key anyone could guess');
      }
    }
    expect(weakKeyReason(randomBytes(32))).toBeUndefined();
  });

  it('reaches the key through the configuration, empty included, and keeps it out of workflow secrets', () => {
    const hex = bytes.toString('hex');
    const config = loadConfig({ env: { KEEL_SECRET_KEY: hex }, file: join(tempDir(), 'none.yaml') });
    expect(config.secretKey.value).toBe(hex);
    expect(config.secrets).not.toHaveProperty('KEEL_SECRET_KEY');
    expect(loadConfig({ env: { KEEL_SECRET_KEY: '' }, file: join(tempDir(), 'none.yaml') }).secretKey.value).toBe('');
  });
});

describe('the key file', () => {
  it('defaults into the embedded data folder, or .keel/ on PostgreSQL, and follows KEEL_SECRET_KEY_FILE', () => {
    const file = join(tempDir(), 'none.yaml');
    expect(loadConfig({ env: { KEEL_DATA_DIR: '/srv/keel/data' }, file }).secretKey.file).toBe('/srv/keel/data/secret.key');
    expect(loadConfig({ env: { DATABASE_URL: 'postgres://db/keel' }, file }).secretKey.file).toBe('.keel/secret.key');
    expect(loadConfig({ env: { KEEL_SECRET_KEY_FILE: '/run/keys/keel' }, file }).secretKey.file).toBe('/run/keys/keel');
  });

  it('is created on first start with 32 random bytes and mode 0600, and read back as the same key', async () => {
    const file = join(tempDir(), 'nested', 'secret.key');
    const first = await loadSecretKey({ file });
    expect(first).toMatchObject({ source: 'file', file, created: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const again = await loadSecretKey({ file });
    expect(again).toMatchObject({ id: first.id, created: false });
  });

  it('gives every process starting together the same key', async () => {
    const file = join(tempDir(), 'secret.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSecretKey({ file })));
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file other users can read, with the chmod that fixes it', async () => {
    const file = join(tempDir(), 'secret.key');
    const text = randomBytes(32).toString('base64');
    writeFileSync(file, text, { mode: 0o644 });
    chmodSync(file, 0o644);
    const error = await refusal(() => loadSecretKey({ file }), text);
    expect(error.message).toBe(`The key file ${file} is open to other users (mode 0644); Keel refuses to use it.`);
    expect(error.hint).toBe(`Run: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    await expect(loadSecretKey({ file })).resolves.toMatchObject({ created: false });
  });

  it('reads a raw 32-byte file and refuses a guessable or malformed one without showing it', async () => {
    const dir = tempDir();
    const raw = join(dir, 'raw.key');
    writeFileSync(raw, randomBytes(32), { mode: 0o600 });
    await expect(loadSecretKey({ file: raw })).resolves.toMatchObject({ source: 'file' });
    const zeros = join(dir, 'zeros.key');
    writeFileSync(zeros, Buffer.alloc(32).toString('hex'), { mode: 0o600 });
    expect((await refusal(() => loadSecretKey({ file: zeros }))).message).toContain('all bytes are zero');
    const short = join(dir, 'short.key');
    const shortText = randomBytes(20).toString('hex');
    writeFileSync(short, shortText, { mode: 0o600 });
    expect((await refusal(() => loadSecretKey({ file: short }), shortText)).message).toContain(`The key file ${short} must be 32 bytes`);
  });

  it('prefers KEEL_SECRET_KEY and then touches no file', async () => {
    const file = join(tempDir(), 'secret.key');
    const key = await loadSecretKey({ value: randomBytes(32).toString('hex'), file });
    expect(key).toMatchObject({ source: 'env', created: false });
    expect(() => statSync(file)).toThrow();
  });
});
