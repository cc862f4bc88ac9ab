// Who may do what: the permissions Keel checks, and which roles hold them. Global roles apply to
// every workflow; workflow roles (owner, reviewer) apply to the one workflow they are given on.

export const permissions = [
  'workflows:read', 'workflows:deploy', 'deployments:write', 'members:write',
  'runs:read', 'runs:start', 'reviews:read', 'reviews:decide', 'reviews:request', 'gates:sign',
  'audit:read', 'users:read', 'users:write', 'teams:write', 'account:self',
  'connectors:read', 'connectors:write', 'grants:request', 'grants:decide', 'traces:write', 'changes:decide',
] as const;
export type Permission = (typeof permissions)[number];

export const globalRoles = ['admin', 'builder', 'approver', 'reviewer', 'viewer'] as const;
export type GlobalRole = (typeof globalRoles)[number];

export const workflowRoles = ['owner', 'reviewer'] as const;
export type WorkflowRole = (typeof workflowRoles)[number];

const read: Permission[] = ['workflows:read', 'runs:read', 'reviews:read'];

/**
 * What each global role may do on every workflow. Every signed-in person also has `account:self`.
 *
 * Connectors and grants: builders, approvers and viewers see the connectors (what exists, who owns
 * it, which workflow may use what: the access inventory must survive handoff, so it is widely
 * readable; secrets are never part of it). A builder asks for grants. `grants:decide` is the
 * admin's; a connector's owner (a person named on the connector, whatever their role) decides its
 * grants too, which the grant routes check against the connector row, not this table. A global
 * reviewer works review tasks only and gets no connector view.
 *
 * `traces:write` sends spans of an external workflow over OTLP (POST /v1/traces): the script that
 * runs the workflow holds a token of its owner or of a builder; viewers and approvers only read.
 *
 * `changes:decide` is the admin's: it decides change requests of any workflow. Otherwise a change
 * request is decided by the people its production version names (owner, runbook.change_approvers),
 * which the change routes check against the version, not this table.
 */
export const globalRolePermissions: Readonly<Record<GlobalRole, readonly Permission[]>> = {
  admin: permissions,
  builder: [...read, 'workflows:deploy', 'deployments:write', 'runs:start', 'reviews:request', 'connectors:read', 'grants:request', 'traces:write'],
  approver: [...read, 'gates:sign', 'connectors:read'],
  reviewer: [...read, 'reviews:decide'],
  viewer: [...read, 'connectors:read'],
};

/**
 * What each workflow role may do on its own workflow. An owner asks for the grants their workflow
 * needs, so they may read the connectors it could use (connectors are not per workflow: holding
 * `connectors:read` on one workflow shows every connector, never a secret) and `grants:request` on
 * that workflow only.
 */
export const workflowRolePermissions: Readonly<Record<WorkflowRole, readonly Permission[]>> = {
  owner: [...read, 'workflows:deploy', 'deployments:write', 'runs:start', 'reviews:decide', 'reviews:request', 'members:write', 'connectors:read', 'grants:request', 'traces:write'],
  reviewer: [...read, 'reviews:decide'],
};

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}
