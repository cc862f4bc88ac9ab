// The auth slice owns identity and permission: users, global roles, teams, workflow membership,
// sessions, API tokens, one-time links, sign-in (password and OIDC) and the one permission table
// every route is checked against.
export { Access, type CredentialKind } from './access.js';
export { permissions, globalRoles, workflowRoles, globalRolePermissions, workflowRolePermissions, type Permission, type GlobalRole, type WorkflowRole } from './roles.js';
export { routeRules, createRuleMatcher, type RouteRule, type RuleScope } from './route-rules.js';
export { createGuard, authenticate, sessionCookie, csrfHeader, type OwnerResolvers } from './guard.js';
export { loadAccess, localAccess } from './principal.js';
export { AttemptLimiter, signInWithPassword, type SignInPolicy } from './sign-in.js';
export { createUser, getUser, listUsers, updateUser, setPassword, unlockUser, countUsers, type UserRow } from './users.js';
export { createTeam, listTeams, setTeamMember, setWorkflowMember, listWorkflowMembers } from './members.js';
export { createToken, listTokens, revokeToken, findLiveToken } from './tokens.js';
export { createSession } from './sessions.js';
export { firstAdminLink, passwordLink, useSignInLink } from './links.js';
export type { AuthDeps } from './deps.js';
export type { OidcSettings } from './oidc.js';
export { registerAuthRoutes } from './routes.js';
// The answers' schemas, so that clients (the CLI) infer their types instead of repeating them.
export { userSchema, meSchema } from './routes-session.js';
export { tokenSchema } from './routes-tokens.js';
export { teamSchema, memberSchema as workflowMemberSchema, linkSchema as passwordLinkSchema } from './routes-people.js';
