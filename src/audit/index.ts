// The audit slice owns the append-only, hash-chained record of every change and decision: who,
// what, to which object, before and after (secrets never included), in which request, when.
// Callers write an event inside the same transaction as the change it records (recordAudit); the
// event is then linked into one hash chain (seq, prev_hash, hash) that `keel audit verify` checks.
export type { AuditEvent, AuditRow } from './types.js';
export { recordAudit, listAudit } from './append.js';
export { runWithAuditContext, type AuditContext } from './context.js';
export { redactSecrets, isSecretKey } from './redact.js';
export { linkAuditChain } from './link.js';
export { verifyAuditChain, chainProblems, type ChainVerdict, type ChainAnchor, type BadEvent, type ChainProblem } from './verify.js';
export { listAuditEvents, exportAuditEvents, type AuditFilter, type AuditEventView, type AuditPage } from './query.js';
export { registerAuditRoutes, auditEventSchema, verdictSchema as auditVerdictSchema } from './routes.js';
