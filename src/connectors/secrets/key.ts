// The instance key: 32 bytes that seal every connector secret at rest. It comes from
// KEEL_SECRET_KEY, or from a key file Keel creates on first start. A key anyone could guess (all
// zeros, a counting sequence, a placeholder, readable text) or a key file other users can open stops
// the start: a secret sealed under such a key is only encrypted on paper.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { KeelError } from '../../errors.js';

/** AES-256-GCM takes a 32-byte key. */
export const secretKeyBytes = 32;

/** What the rest of Keel holds of the instance key: its id and origin, never the bytes. */
export interface SecretKey {
  /** First 16 hex digits of HMAC-SHA256(key, 'keel secret key id'); stored with each secret, safe to show. */
  readonly id: string;
  /** Where it came from: the environment (KEEL_SECRET_KEY) or a key file. */
  readonly source: 'env' | 'file';
  /** The key file, when the source is a file. */
  readonly file?: string;
  /** True when this start created the key file (a new key: nothing sealed before can be opened with it). */
  readonly created: boolean;
}

/** Keys derived from the instance key, one per purpose, so the cipher and the fingerprint never share one. */
export interface KeyMaterial {
  encryption: Buffer;
  fingerprint: Buffer;
}

// The bytes stay off the SecretKey object, so logging or serialising it can never show them.
const material = new WeakMap<SecretKey, KeyMaterial>();

/** The derived keys of a SecretKey made by this module (only the cipher needs them). */
export function keyMaterial(key: SecretKey): KeyMaterial {
  const m = material.get(key);
  if (!m) throw new KeelError('internal', 'This SecretKey was not made by loadSecretKey or secretKeyFromText.');
  return m;
}

const envHint = 'Make one with `openssl rand -base64 32` (or `openssl rand -hex 32`), or unset KEEL_SECRET_KEY to let Keel create a key file.';
const fileHint = (file: string) => `Write a new key into it (openssl rand -base64 32 > ${file}), or move it away to let Keel create one.`;

/**
 * Reads the instance key once at start: KEEL_SECRET_KEY when set, else the key file (created with
 * mode 0600 when missing). Throws KeelError('misconfigured') with a one-line reason, never the value.
 */
export async function loadSecretKey(settings: { value?: string; file: string }): Promise<SecretKey> {
  if (settings.value !== undefined) return secretKeyFromText(settings.value, 'KEEL_SECRET_KEY');
  return keyFromFile(settings.file);
}

/** A key from its text form: 64 hex digits or base64 (standard or URL-safe, padding optional) of 32 bytes. */
export function secretKeyFromText(text: string, where: string): SecretKey {
  return makeKey(decodeKeyText(text, where, envHint), where, envHint, { source: 'env', created: false });
}

function decodeKeyText(raw: string, where: string, hint: string): Buffer {
  const text = raw.trim();
  if (text === '') throw new KeelError('misconfigured', `${where} is empty; it must hold a 32-byte key.`, { hint });
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const unpadded = text.replace(/={1,2}$/, '');
  if (/^[A-Za-z0-9+/_-]{43}$/.test(unpadded)) return Buffer.from(unpadded, 'base64');
  // Saying how long it was helps with `openssl rand -base64 24`; the length tells nothing of the key.
  const got = /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? `${text.length / 2} bytes as hex`
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? `${Buffer.from(unpadded, 'base64').length} bytes as base64` : 'not hex or base64';
  throw new KeelError('misconfigured', `${where} must be 32 bytes written as 64 hex digits or 44 base64 characters (got ${got}).`, { hint });
}

function makeKey(bytes: Buffer, where: string, hint: string, origin: Omit<SecretKey, 'id'>): SecretKey {
  if (bytes.length !== secretKeyBytes) {
    throw new KeelError('misconfigured', `${where} must hold exactly 32 bytes (it holds ${bytes.length}).`, { hint });
  }
  const weak = weakKeyReason(bytes);
  if (weak) {
    throw new KeelError('misconfigured', `${where} holds a key anyone could guess (${weak}); Keel refuses to seal secrets with it.`, { hint });
  }
  const key: SecretKey = Object.freeze({ id: createHmac('sha256', bytes).update('keel secret key id').digest('hex').slice(0, 16), ...origin });
  // HKDF separates the two uses of one key (AES-GCM and HMAC), as key-derivation guidance asks.
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), info, 32));
  material.set(key, { encryption: derive('keel secret encryption'), fingerprint: derive('keel secret fingerprint') });
  return key;
}

// Words of values copied from an example instead of generated: they name the reason in the error.
// (The README shows only the command that makes a key, never a literal key, so there is nothing to
// copy from it; a documented example value, if one is ever added, belongs in this list.)
const placeholders = ['changeme', 'change-me', 'change_me', 'secret', 'password', 'example', 'default', 'placeholder', 'replace', 'keel', 'test', 'insecure', '0123456789'];

/**
 * Why these 32 bytes are a guessable key, or undefined. Each rule is practically impossible for
 * random bytes: all printable ASCII has probability (95/256)^32 ≈ 1.6e-14, a repeat within 16
 * bytes 2^-128, an arithmetic sequence 2^-240.
 */
export function weakKeyReason(bytes: Buffer): string | undefined {
  const first = bytes[0] ?? 0;
  if (bytes.every((b) => b === first)) return first === 0 ? 'all bytes are zero' : 'all bytes are the same';
  // 00 01 02 ... 1f and the like: the test vector of many documents.
  const step = ((bytes[1] ?? 0) - first + 256) % 256;
  if (bytes.every((b, i) => b === (first + i * step) % 256)) return 'a counting sequence';
  for (let period = 2; period <= 16; period++) {
    if (bytes.every((b, i) => i < period || b === bytes[i - period])) return 'a short pattern repeated';
  }
  if (bytes.every((b) => b >= 0x20 && b <= 0x7e)) {
    const text = bytes.toString('latin1').toLowerCase();
    const word = placeholders.find((p) => text.includes(p));
    return word ? `the placeholder "${word}"` : 'readable text, not random bytes';
  }
  return undefined;
}

// The key file: created once, then only read. Checks run on the opened descriptor, so the file
// checked is the file read.
async function keyFromFile(file: string): Promise<SecretKey> {
  // A key file another process is creating can be seen empty for a moment: wait for its write.
  for (let attempt = 0; attempt < 40; attempt++) {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw fileError(file, error);
      const created = await createKeyFile(file);
      if (created) return created;
      continue; // another process created it first: read theirs
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new KeelError('misconfigured', `The key file ${file} is not a regular file.`, { hint: keyFileHint(file) });
      refuseOpenMode(file, stats);
      const content = await handle.readFile();
      if (content.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      // 32 bytes exactly is the raw key (`head -c 32 /dev/urandom`); anything else is its text form.
      const where = `The key file ${file}`;
      const bytes = content.length === secretKeyBytes ? content : decodeKeyText(content.toString('utf8'), where, fileHint(file));
      return makeKey(bytes, where, fileHint(file), { source: 'file', file, created: false });
    } finally {
      await handle.close();
    }
  }
  throw new KeelError('misconfigured', `The key file ${file} is empty.`, {
    hint: `If no secret was ever stored with it, delete ${file} and start again; otherwise restore it from a backup.`,
  });
}

/** Creates the key file with a new random key; undefined when another process created it first. */
async function createKeyFile(file: string): Promise<SecretKey | undefined> {
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw fileError(file, error);
  });
  let handle: fs.FileHandle;
  try {
    // `wx`: exclusive create, so two processes starting together never both write a key.
    handle = await fs.open(file, 'wx', 0o600);
  } catch (error) {
    if (errno(error) === 'EEXIST') return undefined;
    throw fileError(file, error);
  }
  try {
    // Checked before the key is written: a filesystem that ignores modes must never receive it.
    let stats = await handle.stat();
    if (opensToOthers(stats)) {
      await handle.chmod(0o600);
      stats = await handle.stat();
    }
    refuseOpenMode(file, stats);
    const bytes = randomBytes(secretKeyBytes);
    await handle.writeFile(`${bytes.toString('base64')}\n`);
    await handle.sync();
    await handle.close();
    await syncFolder(dirname(file));
    return makeKey(bytes, `The key file ${file}`, fileHint(file), { source: 'file', file, created: true });
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.rm(file, { force: true });
    throw error;
  }
}

/** Group or other users may read, write or execute it. Windows has no such mode bits to check. */
function opensToOthers(stats: Stats): boolean {
  return process.platform !== 'win32' && (stats.mode & 0o077) !== 0;
}

function refuseOpenMode(file: string, stats: Stats): void {
  if (!opensToOthers(stats)) return;
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  throw new KeelError('misconfigured', `The key file ${file} is open to other users (mode ${mode}); Keel refuses to use it.`, {
    hint: `Run: chmod 600 ${file}`,
  });
}

/** A lost key file loses every secret, so its folder entry is flushed too (not possible everywhere). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const dir = await fs.open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some platforms cannot open a folder for sync; the file itself is flushed.
  }
}

function keyFileHint(file: string): string {
  return `Point KEEL_SECRET_KEY_FILE at the key file, or move ${file} away to let Keel create a new one (secrets sealed before cannot be opened then).`;
}

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function fileError(file: string, error: unknown): KeelError {
  const code = errno(error) ?? 'error';
  return new KeelError('misconfigured', `Cannot use the key file ${file} (${code}).`, {
    hint: 'Check that Keel may create and read it, or set KEEL_SECRET_KEY_FILE to another path, or KEEL_SECRET_KEY.', cause: error,
  });
}
