// Sign-offs: the named people a gate needs, each in one of the gate's roles, in writing. Nobody
// signs a version they wrote (the seeds: no meaningful check when the same person builds and
// approves), one person fills one role per gate, and every sign-off and its withdrawal is audited.
// Into production the sign-off keeps the sandbox sample's error rate as it was when signed: that is
// the written acceptance of the error rate, and it no longer counts if the rate rises afterwards.
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersion, type VersionRow } from '../registry/index.js';
import type { SignerRole } from '../spec/index.js';
import { sandboxSample } from './gate-checks.js';
import { gateSettings, type GatedStage } from './gate-settings.js';

export interface SignoffRow {
  id: number;
  workflow_id: string;
  version_id: string;
  stage: GatedStage;
  role: string;
  signed_by: string;
  statement: string;
  observed: { decided: number; overridden: number; errorRate: number } | null;
  signed_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

export interface SignGate {
  workflowId: string;
  version: string;
  stage: GatedStage;
  role: SignerRole;
  statement: string;
  actor: string;
  /** The roles the actor holds on this workflow (global and workflow roles); `all` for an admin or the local CLI. */
  actorRoles: 'all' | readonly string[];
}

export async function signGate(db: Db, input: SignGate): Promise<SignoffRow> {
  return db.transaction(async (tx) => {
    const version = await getVersion(tx, input.workflowId, input.version);
    const settings = gateSettings(version.definition, input.stage);
    const problems = [];
    if (!settings.signers.includes(input.role)) {
      problems.push({ path: 'role', message: `the gate into ${input.stage} is signed by ${settings.signers.join(' and ') || 'nobody'}, not ${input.role}` });
    }
    if (input.statement.trim().length < 10) problems.push({ path: 'statement', message: 'write what you checked and accept, in a sentence or more' });
    if (problems.length > 0) throw new KeelError('invalid_input', `Cannot sign the gate into ${input.stage} of ${input.workflowId} v${version.number}.`, { problems });
    if (version.created_by === input.actor) {
      throw new KeelError('permission_denied', `${input.actor} wrote v${version.number} of ${input.workflowId}, so cannot sign its gate: someone other than the author must.`);
    }
    if (input.actorRoles !== 'all' && !input.actorRoles.includes(input.role)) {
      throw new KeelError('permission_denied', `Signing as ${input.role} needs the ${input.role} role on ${input.workflowId}; ${input.actor} holds ${input.actorRoles.join(', ') || 'no role'} there.`);
    }
    const taken = await tx.query<SignoffRow>(
      `SELECT * FROM gate_signoffs WHERE version_id = $1 AND stage = $2 AND revoked_at IS NULL AND (role = $3 OR signed_by = $4) FOR UPDATE`,
      [version.id, input.stage, input.role, input.actor],
    );
    for (const s of taken.rows) {
      throw new KeelError('conflict', s.signed_by === input.actor
        ? `${input.actor} already signed the gate into ${input.stage} of v${version.number} as ${s.role}; each role needs a different person.`
        : `The ${input.role} sign-off of v${version.number} into ${input.stage} is already given by ${s.signed_by}.`);
    }
    const observed = input.stage === 'production' ? await sandboxSample(tx, version.id) : null;
    const r = await tx.query<SignoffRow>(
      `INSERT INTO gate_signoffs (workflow_id, version_id, stage, role, signed_by, statement, observed) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *`,
      [input.workflowId, version.id, input.stage, input.role, input.actor, input.statement.trim(), observed === null ? null : JSON.stringify(observed)],
    );
    await recordAudit(tx, {
      actor: input.actor, action: 'gate:signed', subjectType: 'workflow', subjectId: input.workflowId,
      data: { version: version.id, stage: input.stage, role: input.role, statement: input.statement.trim(), observed },
    });
    return r.rows[0]!;
  });
}

/** Withdraws a sign-off: by the person who gave it, or an admin. */
export async function revokeSignoff(db: Db, input: { workflowId: string; id: number; actor: string; isAdmin: boolean }): Promise<SignoffRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<SignoffRow>(`SELECT * FROM gate_signoffs WHERE id = $1 AND workflow_id = $2 FOR UPDATE`, [input.id, input.workflowId]);
    const s = r.rows[0];
    if (!s) throw new KeelError('not_found', `Workflow ${input.workflowId} has no sign-off ${input.id}.`);
    if (s.revoked_at) throw new KeelError('conflict', `Sign-off ${input.id} was already withdrawn by ${s.revoked_by}.`);
    if (s.signed_by !== input.actor && !input.isAdmin) {
      throw new KeelError('permission_denied', `Only ${s.signed_by} (who signed it) or an admin may withdraw sign-off ${input.id}.`);
    }
    const done = await tx.query<SignoffRow>(`UPDATE gate_signoffs SET revoked_at = now(), revoked_by = $2 WHERE id = $1 RETURNING *`, [input.id, input.actor]);
    await recordAudit(tx, {
      actor: input.actor, action: 'gate:signoff_withdrawn', subjectType: 'workflow', subjectId: input.workflowId,
      data: { signoff: input.id, version: s.version_id, stage: s.stage, role: s.role, signed_by: s.signed_by },
    });
    return done.rows[0]!;
  });
}

export async function liveSignoffs(db: Queryable, version: VersionRow, stage: GatedStage): Promise<SignoffRow[]> {
  const r = await db.query<SignoffRow>(
    `SELECT * FROM gate_signoffs WHERE version_id = $1 AND stage = $2 AND revoked_at IS NULL ORDER BY signed_at`, [version.id, stage],
  );
  return r.rows;
}
