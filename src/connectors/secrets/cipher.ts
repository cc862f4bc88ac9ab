// Sealing one secret value: AES-256-GCM with a fresh 12-byte IV per value, and additional
// authenticated data naming the row it belongs to, so a sealed value copied onto another connector,
// another name or another version fails to open instead of answering the wrong secret.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { KeelError } from '../../errors.js';
import { keyMaterial, type SecretKey } from './key.js';

const ivBytes = 12;
const tagBytes = 16;

/** A sealed value as stored: all three parts are needed to open it. */
export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * The AAD that binds a sealed value to its row. Connector ids and secret names cannot contain `/`
 * (the table's CHECK constraints), so the text names exactly one row.
 */
export function secretAad(connectorId: string, name: string, version: number): string {
  return `${connectorId}/${name}/${version}`;
}

/** Encrypts `plaintext` under the instance key, bound to `aad`. */
export function seal(key: SecretKey, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', keyMaterial(key).encryption, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Decrypts a sealed value. Any change to the IV, ciphertext, tag or AAD, or another key, throws a
 * KeelError('internal') that says so and carries nothing of the value.
 */
export function open(key: SecretKey, sealed: Sealed, aad: string): string {
  // authTagLength pins the tag at 16 bytes: GCM would otherwise accept a truncated, forgeable tag.
  if (sealed.iv.length !== ivBytes || sealed.tag.length !== tagBytes) throw broken();
  const decipher = createDecipheriv('aes-256-gcm', keyMaterial(key).encryption, sealed.iv, { authTagLength: tagBytes });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  try {
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // Node's own message adds nothing; the cause is dropped so no buffer travels with the error.
    throw broken();
  }
}

function broken(): KeelError {
  return new KeelError('internal', 'A sealed secret failed its integrity check: it was altered, moved to another row, or sealed with another key.');
}

/**
 * HMAC-SHA256 (hex) of a value under the instance key, scoped to one secret (`connector/name`):
 * lets a re-sync of the same value be recognised without storing a plain hash, which could be
 * checked against guesses offline, and without showing that two connectors share a value.
 */
export function fingerprint(key: SecretKey, plaintext: string, scope: string): string {
  // A newline cannot occur in a scope (ids and names are [A-Za-z0-9_.-]), so the two parts cannot blur.
  return createHmac('sha256', keyMaterial(key).fingerprint).update(`${scope}\n`).update(plaintext, 'utf8').digest('hex');
}
