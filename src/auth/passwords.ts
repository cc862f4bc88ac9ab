import { hash, verify } from '@node-rs/argon2';
import { KeelError, type FieldProblem } from '../errors.js';

// argon2id with the library's defaults (19 MiB, 2 passes, 1 lane): OWASP's recommended minimum.
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A hash to verify against when the account does not exist, so an unknown email costs the same time.
let decoyHash: Promise<string> | undefined;
export async function spendVerifyTime(password: string): Promise<void> {
  decoyHash ??= hash('keel-decoy-password-never-valid');
  await verifyPassword(await decoyHash, password);
}

let common: Promise<Set<string>> | undefined;
/** The 49,000 most common passwords (zxcvbn-ts's list), loaded on first use. */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then((m) => new Set(m.dictionary['passwords-common'].map((p) => String(p).toLowerCase())));
  return common;
}

/** Throws `invalid_input` naming every way the password is too weak. */
export async function checkPasswordPolicy(password: string, opts: { minLength: number; email: string; field?: string }): Promise<void> {
  const path = opts.field ?? 'password';
  const problems: FieldProblem[] = [];
  if (password.length < opts.minLength) problems.push({ path, message: `must be at least ${opts.minLength} characters (it has ${password.length})` });
  if (password.length > 1024) problems.push({ path, message: 'must be at most 1024 characters' });
  const lower = password.toLowerCase();
  if ((await commonPasswords()).has(lower)) problems.push({ path, message: 'is on the list of commonly used passwords', hint: 'Use a long passphrase of unrelated words.' });
  const local = opts.email.toLowerCase().split('@')[0] ?? '';
  if (lower === opts.email.toLowerCase() || (local.length >= 4 && lower.includes(local))) {
    problems.push({ path, message: 'must not contain the email address' });
  }
  if (problems.length > 0) throw new KeelError('invalid_input', 'The password is too weak.', { problems });
}
