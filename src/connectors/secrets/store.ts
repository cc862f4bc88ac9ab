// Connector secrets in the `connector_secrets` table: each value sealed under the instance key,
// versioned (the current version is the one not retired), with a rotation due date from the
// connector's policy. Values and fingerprints never leave this file except as the answer of
// readSecret: not in audit events, errors, logs or listings.
import { recordAudit } from '../../audit/index.js';
import type { Db, Queryable } from '../../db/index.js';
import { KeelError } from '../../errors.js';
import { fingerprint, open, seal, secretAad } from './cipher.js';
import type { SecretKey } from './key.js';

export interface PutSecretInput {
  connectorId: string;
  /** The secret's name, as a connector's config refers to it (`token_secret: <name>`). */
  name: string;
  value: string;
  /** Who stored it (a user, or `keel:<component>` for a sync). */
  actor: string;
  /** Days until rotation is due; default: the connector's rotation_days (none: no due date). */
  rotationDays?: number;
}

export interface PutSecretResult {
  /** The current version after the call. */
  version: number;
  /** False when the value equals the current version's: nothing was written. */
  created: boolean;
  rotate_by: Date | null;
}

/** What may be shown about a secret: never its value or fingerprint. */
export interface SecretMeta {
  connector_id: string;
  name: string;
  version: number;
  created_at: Date;
  created_by: string;
  rotate_by: Date | null;
  rotation_due: boolean;
  /** The id of the instance key that sealed it; another id than the running key's cannot be opened. */
  key_id: string;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Stores a value as version n+1 of a connector's secret, unless it equals the current version
 * (then nothing changes). The previous version is retired and the `secret:stored` audit event
 * written in the same transaction; pass a transaction to store it together with other changes.
 */
export async function putSecret(db: Db | Queryable, key: SecretKey, input: PutSecretInput): Promise<PutSecretResult> {
  checkInput(input);
  return 'transaction' in db ? db.transaction((tx) => putIn(tx, key, input)) : putIn(db, key, input);
}

async function putIn(tx: Queryable, key: SecretKey, input: PutSecretInput): Promise<PutSecretResult> {
  const { connectorId, name } = input;
  // Locking the connector row serialises writers of its secrets, so two puts cannot both make n+1.
  const connector = await tx.query<{ rotation_days: number | null }>(
    'SELECT rotation_days FROM connectors WHERE id = $1 FOR NO KEY UPDATE', [connectorId],
  );
  const row = connector.rows[0];
  if (!row) throw new KeelError('not_found', `No connector ${connectorId} exists, so its secret ${name} cannot be stored.`);
  const print = fingerprint(key, input.value, `${connectorId}/${name}`);
  const current = await tx.query<{ version: number; key_id: string; fingerprint: string; rotate_by: Date | null }>(
    `SELECT version, key_id, fingerprint, rotate_by FROM connector_secrets
     WHERE connector_id = $1 AND name = $2 AND retired_at IS NULL`, [connectorId, name],
  );
  const now = current.rows[0];
  // A fingerprint is comparable only under the key that made it; under a new key the value is sealed again.
  if (now && now.key_id === key.id && now.fingerprint === print) return { version: now.version, created: false, rotate_by: now.rotate_by };
  const next = await tx.query<{ version: number }>(
    'SELECT coalesce(max(version), 0) + 1 AS version FROM connector_secrets WHERE connector_id = $1 AND name = $2', [connectorId, name],
  );
  const version = Number(next.rows[0]?.version ?? 1);
  // Retire first: the unique index allows one current version per name.
  if (now) await tx.query('UPDATE connector_secrets SET retired_at = now() WHERE connector_id = $1 AND name = $2 AND retired_at IS NULL', [connectorId, name]);
  const days = input.rotationDays ?? row.rotation_days;
  const sealed = seal(key, input.value, secretAad(connectorId, name, version));
  const added = await tx.query<{ rotate_by: Date | null }>(
    `INSERT INTO connector_secrets (connector_id, name, version, key_id, iv, ciphertext, tag, fingerprint, created_by, rotate_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10::int IS NULL THEN NULL ELSE now() + make_interval(days => $10::int) END)
     RETURNING rotate_by`,
    [connectorId, name, version, key.id, sealed.iv, sealed.ciphertext, sealed.tag, print, input.actor, days],
  );
  const rotateBy = added.rows[0]?.rotate_by ?? null;
  await recordAudit(tx, {
    actor: input.actor, action: 'secret:stored', subjectType: 'connector', subjectId: connectorId,
    // Which secret and which key, never the value or its fingerprint.
    data: { connector: connectorId, name, version, previous_version: now?.version ?? null, key_id: key.id, rotate_by: rotateBy },
  });
  return { version, created: true, rotate_by: rotateBy };
}

function checkInput(input: PutSecretInput): void {
  if (!namePattern.test(input.name)) {
    throw new KeelError('invalid_input', `The secret name "${input.name}" is not valid.`, { hint: 'Secret names use A-Z, a-z, 0-9, _, . and -, up to 100 characters.' });
  }
  if (typeof input.value !== 'string' || input.value === '') {
    throw new KeelError('invalid_input', `The value of secret ${input.name} of connector ${input.connectorId} is empty.`);
  }
  if (input.rotationDays !== undefined && !(Number.isInteger(input.rotationDays) && input.rotationDays > 0)) {
    throw new KeelError('invalid_input', 'rotationDays must be a whole number of days greater than 0.');
  }
}

/**
 * The current value of a connector's secret. KeelError('misconfigured') naming the connector and
 * the secret when none is stored, or when it was sealed with another instance key.
 */
export async function readSecret(db: Queryable, key: SecretKey, connectorId: string, name: string): Promise<string> {
  const r = await db.query<{ version: number; key_id: string; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }>(
    `SELECT version, key_id, iv, ciphertext, tag FROM connector_secrets
     WHERE connector_id = $1 AND name = $2 AND retired_at IS NULL`, [connectorId, name],
  );
  const row = r.rows[0];
  if (!row) {
    throw new KeelError('misconfigured', `Connector ${connectorId} has no secret named ${name}.`, {
      hint: `Store the secret ${name} for connector ${connectorId} before a workflow uses the connector.`,
      details: { connector: connectorId, name },
    });
  }
  if (row.key_id !== key.id) {
    throw new KeelError('misconfigured', `Secret ${name} of connector ${connectorId} was sealed with another instance key (key id ${row.key_id}; this Keel runs with ${key.id}).`, {
      hint: 'Start Keel with the key it was stored under (KEEL_SECRET_KEY or the key file), or store the secret again.',
      details: { connector: connectorId, name, key_id: row.key_id, running_key_id: key.id },
    });
  }
  try {
    // PGlite answers bytea as Uint8Array, pg as Buffer: both become Buffers here.
    return open(key, { iv: Buffer.from(row.iv), ciphertext: Buffer.from(row.ciphertext), tag: Buffer.from(row.tag) }, secretAad(connectorId, name, row.version));
  } catch (error) {
    throw new KeelError('internal', `Secret ${name} of connector ${connectorId} (version ${row.version}) failed its integrity check: the stored row was altered or copied from another row.`, {
      hint: 'Store the secret again; check who can write to the database.', cause: error,
    });
  }
}

/** The SecretMeta columns of `connector_secrets s`; $1 is the time rotation_due is judged at. */
const metaColumns = `s.connector_id, s.name, s.version, s.created_at, s.created_by, s.rotate_by, s.key_id,
  s.rotate_by IS NOT NULL AND s.rotate_by <= $1 AS rotation_due`;

/** The current version of every secret (of one connector, or all), metadata only. */
export async function listSecrets(db: Queryable, connectorId?: string, now: Date = new Date()): Promise<SecretMeta[]> {
  const r = await db.query<SecretMeta>(
    `SELECT ${metaColumns} FROM connector_secrets s
     WHERE s.retired_at IS NULL AND ($2::text IS NULL OR s.connector_id = $2)
     ORDER BY s.connector_id, s.name`, [now, connectorId ?? null],
  );
  return r.rows;
}

/** Current secrets whose rotation date has passed at `now`, with who rotates them; oldest due first. */
export async function secretsDueForRotation(db: Queryable, now: Date): Promise<Array<SecretMeta & { owner: string; credential_owner: string | null }>> {
  const r = await db.query<SecretMeta & { owner: string; credential_owner: string | null }>(
    `SELECT ${metaColumns}, c.owner, c.credential_owner
     FROM connector_secrets s JOIN connectors c ON c.id = s.connector_id
     WHERE s.retired_at IS NULL AND s.rotate_by <= $1
     ORDER BY s.rotate_by, s.connector_id, s.name`, [now],
  );
  return r.rows;
}

/** How many current secrets were sealed with another instance key than `keyId` (checked at start). */
export async function secretsSealedWithOtherKeys(db: Queryable, keyId: string): Promise<number> {
  const r = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM connector_secrets WHERE retired_at IS NULL AND key_id <> $1', [keyId]);
  return Number(r.rows[0]?.n ?? 0);
}
