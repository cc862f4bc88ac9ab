// Who may do what: the permissions Keel checks, and which roles hold them. Global roles apply to
// every workflow; workflow roles (owner, reviewer) apply to the one workflow they are given on.

export const permissions = [
  'workflows:read', 'workflows:deploy', 'deployments:write', 'members:write',
  'runs:read', 'runs:start', 'reviews:read', 'reviews:decide', 'reviews:request', 'gates:sign',
  'audit:read', 'users:read', 'users:write', 'teams:write', 'account:self',
] as const;
export type Permission = (typeof permissions)[number];

export const globalRoles = ['admin', 'builder', 'approver', 'reviewer', 'viewer'] as const;
export type GlobalRole = (typeof globalRoles)[number];

export const workflowRoles = ['owner', 'reviewer'] as const;
export type WorkflowRole = (typeof workflowRoles)[number];

const read: Permission[] = ['workflows:read', 'runs:read', 'reviews:read'];

/** What each global role may do on every workflow. Every signed-in person also has `account:self`. */
export const globalRolePermissions: Readonly<Record<GlobalRole, readonly Permission[]>> = {
  admin: permissions,
  builder: [...read, 'workflows:deploy', 'deployments:write', 'runs:start', 'reviews:request'],
  approver: [...read, 'gates:sign'],
  reviewer: [...read, 'reviews:decide'],
  viewer: read,
};

/** What each workflow role may do on its own workflow. */
export const workflowRolePermissions: Readonly<Record<WorkflowRole, readonly Permission[]>> = {
  owner: [...read, 'workflows:deploy', 'deployments:write', 'runs:start', 'reviews:decide', 'reviews:request', 'members:write'],
  reviewer: [...read, 'reviews:decide'],
};

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}
