import { KeelError } from '../errors.js';
import { globalRolePermissions, permissions, workflowRolePermissions, type GlobalRole, type Permission, type WorkflowRole } from './roles.js';

/** How the acting person proved who they are. `local` is the CLI on the database's own machine. */
export type CredentialKind = 'session' | 'token' | 'local';

export interface PrincipalInput {
  userId: string | null;
  email: string;
  displayName: string;
  via: CredentialKind;
  roles: readonly GlobalRole[];
  /** Workflow id -> the workflow roles held there (directly, through a team, or as the file's owner). */
  workflowRoles: ReadonlyMap<string, readonly WorkflowRole[]>;
  /** A token's scopes: the most it may do, whatever its holder may. Absent for sessions. */
  scopes?: readonly Permission[];
  sessionId?: string;
  tokenId?: string;
}

/**
 * The acting person and what they may do, computed once per request. A token's scopes narrow its
 * holder's permissions and never widen them, so a holder who loses a role loses it on the token too.
 */
export class Access {
  readonly userId: string | null;
  readonly email: string;
  readonly displayName: string;
  readonly via: CredentialKind;
  readonly roles: readonly GlobalRole[];
  readonly sessionId?: string;
  readonly tokenId?: string;
  private readonly global: ReadonlySet<Permission>;
  private readonly perWorkflow: ReadonlyMap<string, ReadonlySet<Permission>>;
  private readonly scopes?: ReadonlySet<Permission>;
  private readonly workflowRoles: ReadonlyMap<string, readonly WorkflowRole[]>;

  constructor(input: PrincipalInput) {
    this.userId = input.userId;
    this.email = input.email;
    this.displayName = input.displayName;
    this.via = input.via;
    this.roles = input.roles;
    this.sessionId = input.sessionId;
    this.tokenId = input.tokenId;
    this.scopes = input.scopes ? new Set(input.scopes) : undefined;
    const global = new Set<Permission>(input.via === 'local' ? permissions : ['account:self']);
    for (const role of input.roles) for (const p of globalRolePermissions[role]) global.add(p);
    this.global = global;
    const perWorkflow = new Map<string, Set<Permission>>();
    for (const [workflowId, roles] of input.workflowRoles) {
      const set = new Set<Permission>();
      for (const role of roles) for (const p of workflowRolePermissions[role]) set.add(p);
      perWorkflow.set(workflowId, set);
    }
    this.perWorkflow = perWorkflow;
    this.workflowRoles = input.workflowRoles;
  }

  /**
   * The roles this person acts in on one workflow's review tasks: their global roles and their
   * roles on that workflow. `all` for an admin or the local CLI, who may work any task.
   */
  reviewRolesOn(workflowId: string): 'all' | string[] {
    if (this.via === 'local' || this.roles.includes('admin')) return 'all';
    return [...new Set([...this.roles, ...(this.workflowRoles.get(workflowId) ?? [])])];
  }

  /** The roles this person works review tasks for on any workflow (the queue they pull from). */
  reviewRoles(): 'all' | string[] {
    if (this.via === 'local' || this.roles.includes('admin')) return 'all';
    return [...new Set([...this.roles, ...[...this.workflowRoles.values()].flat()])];
  }

  /** The name written to the audit log. */
  get actor(): string {
    return this.email;
  }

  /** Whether this person may do `permission`, on every workflow or on `workflowId`. */
  can(permission: Permission, workflowId?: string): boolean {
    if (this.scopes && !this.scopes.has(permission)) return false;
    if (this.global.has(permission)) return true;
    return workflowId !== undefined && (this.perWorkflow.get(workflowId)?.has(permission) ?? false);
  }

  /** Whether this person may do `permission` on at least one workflow (lists and deploys check this first). */
  canSomewhere(permission: Permission): boolean {
    if (this.scopes && !this.scopes.has(permission)) return false;
    if (this.global.has(permission)) return true;
    for (const set of this.perWorkflow.values()) if (set.has(permission)) return true;
    return false;
  }

  /** The workflows where this person may do `permission`: all of them, or the listed ids. */
  workflowsWhere(permission: Permission): 'all' | string[] {
    if (this.can(permission)) return 'all';
    return [...this.perWorkflow.keys()].filter((id) => this.can(permission, id));
  }

  /** The workflows this person may see: all of them, or the listed ids. */
  visibleWorkflows(): 'all' | string[] {
    if (this.can('workflows:read')) return 'all';
    return [...this.perWorkflow.keys()].filter((id) => this.can('workflows:read', id));
  }

  /**
   * Throws unless this person may do `permission` on `workflowId`. Someone who may not even see the
   * workflow is told it does not exist, so its existence stays private.
   */
  require(permission: Permission, workflowId?: string): void {
    if (this.can(permission, workflowId)) return;
    if (workflowId !== undefined && !this.can('workflows:read', workflowId)) throw notFound(workflowId);
    throw this.denied(permission);
  }

  denied(permission: Permission): KeelError {
    const because = this.scopes && !this.scopes.has(permission)
      ? `the token ${this.tokenId ?? ''} does not carry the scope ${permission}`
      : `${this.email} does not hold ${permission}`;
    return new KeelError('permission_denied', `Not allowed: ${because}.`, {
      hint: 'Ask an admin or the workflow owner for a role that includes it.',
      details: { permission },
    });
  }

  /** Every permission this person holds somewhere, for `GET /api/auth/me` and token creation. */
  heldPermissions(): Permission[] {
    return permissions.filter((p) => this.canSomewhere(p));
  }
}

export function notFound(workflowId: string): KeelError {
  return new KeelError('not_found', `No workflow ${workflowId}.`, { hint: 'List the workflows you may see with keel workflows.' });
}
