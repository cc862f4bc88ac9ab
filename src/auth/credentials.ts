import { createHash, randomBytes } from 'node:crypto';

/** A new random secret for a cookie, token or link: 32 bytes, URL-safe. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * Secrets Keel makes are 256 random bits, so one SHA-256 is enough to store them: nobody can guess
 * back from the hash, and lookups stay an index probe (passwords, chosen by people, use argon2id).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}
