// The request an audit event belongs to. The HTTP edge runs each request inside
// runWithAuditContext, so recordAudit can stamp the request id without every caller passing it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AuditContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<AuditContext>();

/** Runs fn with this audit context; events recorded anywhere inside it carry its request id. */
export function runWithAuditContext<T>(ctx: AuditContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The request id of the code running now, or null outside any request. */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}
