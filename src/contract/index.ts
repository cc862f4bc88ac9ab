// The contract kit: what every slice uses to declare its HTTP routes (the app type, the problem
// schema, JSON helpers) without importing the http edge. Routes are zod-described so that the
// OpenAPI document at /openapi.json is generated from the same schemas that validate requests.
import { OpenAPIHono, z, type OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { Context } from 'hono';

export { createRoute, z } from '@hono/zod-openapi';

/** What the acting person may do; the auth slice's guard sets it before any handler runs. */
export interface RequestAccess {
  /** The name the audit log records. */
  readonly actor: string;
  can(permission: string, workflowId?: string): boolean;
  /** Throws 403, or 404 when the person may not even see the workflow. */
  require(permission: string, workflowId?: string): void;
  /** Every workflow (`all`) or the ids this person may see; lists filter by it. */
  visibleWorkflows(): 'all' | string[];
  /** The workflows where this person may do `permission` (`all`, or the ids). */
  workflowsWhere(permission: string): 'all' | string[];
  /** The roles this person works review tasks for on one workflow; `all` for an admin or the local CLI. */
  reviewRolesOn(workflowId: string): 'all' | string[];
  /** The roles this person works review tasks for anywhere (the queue they pull from). */
  reviewRoles(): 'all' | string[];
}

/** Per-request values the edge sets before a slice's handler runs. */
export interface ApiEnv {
  Variables: {
    /** Who is acting (absent only on public routes). */
    actor: string;
    access: RequestAccess;
    requestId: string;
  };
}

/** The workflow ids a list may show: undefined means every one. */
export function visibleWorkflowIds(c: Context<ApiEnv>): string[] | undefined {
  const visible = c.get('access').visibleWorkflows();
  return visible === 'all' ? undefined : visible;
}

export type ApiApp = OpenAPIHono<ApiEnv>;

export function createApiApp(defaultHook?: OpenAPIHonoOptions<ApiEnv>['defaultHook']): ApiApp {
  return new OpenAPIHono<ApiEnv>({ defaultHook });
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    hint: z.string().optional(),
    problems: z.array(z.object({ path: z.string(), message: z.string(), hint: z.string().optional() })).optional(),
  })
  .openapi('Problem');

/** The error responses a route may give, described once for the OpenAPI document. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } }]),
  );
}

/** A JSON response body described by a zod schema. */
export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * Sends data as JSON (Dates become ISO strings). The typed response helpers of zod-openapi cannot
 * follow Date -> string, so the body is checked by the contract tests instead of the compiler.
 */
export function sendJson(c: Context, body: unknown, status: 200 | 201 | 202 = 200): never {
  return c.json(JSON.parse(JSON.stringify(body)) as object, status) as never;
}

export const isoDate = z.string().describe('ISO 8601 timestamp');
export const stageSchema = z.enum(['design', 'testing', 'sandbox', 'production']);

/** One change between two versions (src/diff.ts), as the registry and the library answer it. */
export const diffEntrySchema = z.object({
  path: z.string(), change: z.enum(['added', 'removed', 'changed']), before: z.unknown().optional(), after: z.unknown().optional(),
  lines: z.array(z.string()).optional().describe("Multi-line text: changed lines marked '-' or '+', context ' ', gaps '@@'"),
});
