// The one permission table: every HTTP route Keel serves and what it needs. A route missing here
// is refused at run time (answered as unknown) and fails the test suite, which checks every cell.
import type { Permission } from './roles.js';

/**
 * Where a route's permission applies:
 * - `global`: held for every workflow (user admin, audit);
 * - `somewhere`: held on at least one workflow; the handler narrows (lists show only what the
 *   person may see; a deploy checks the workflow the file names);
 * - `{ workflow: param }`, `{ run: param }`, `{ review: param }`: on the workflow the path names,
 *   or the one the run or review belongs to. Someone who may not see that workflow gets 404.
 */
export type RuleScope = 'global' | 'somewhere' | { workflow: string } | { run: string } | { review: string };

export type RouteRule =
  | { public: string }
  /** Any proven identity, whatever its token's scopes: a script may always ask who it is, and end its own session. */
  | { signedIn: string }
  | { permission: Permission; scope: RuleScope };

const on = (permission: Permission, scope: RuleScope): RouteRule => ({ permission, scope });
const self = on('account:self', 'global');
const dashboard: RouteRule = { public: 'the dashboard page and its files; no data' };

export const routeRules: Readonly<Record<string, RouteRule>> = {
  'GET /healthz': { public: 'load balancers probe it' },
  'GET /openapi.json': { public: 'the API description holds no data' },
  'GET /docs': { public: 'the API reference page holds no data' },
  'POST /hooks/{workflow}': { public: 'callers prove themselves with the workflow\'s webhook signature' },
  // The dashboard's pages and files hold no data; what they show comes from /api with the person's rights.
  'GET /': dashboard,
  'GET /sign-in': dashboard,
  'GET /workflows/{id}': dashboard,
  'GET /runs': dashboard,
  'GET /runs/{id}': dashboard,
  'GET /reviews': dashboard,
  'GET /reviews/{id}': dashboard,
  'GET /connectors': dashboard,
  'GET /connectors/new': dashboard,
  'GET /connectors/{id}': dashboard,
  'GET /access': dashboard,
  'GET /incidents': dashboard,
  'GET /traces/{traceId}': dashboard,
  'GET /workflows/{id}/datasets': dashboard,
  'GET /workflows/{id}/evals': dashboard,
  'GET /workflows/{id}/evals/compare': dashboard,
  'GET /workflows/{id}/evals/{evalId}': dashboard,
  'GET /workflows/{id}/gates': dashboard,
  'GET /workflows/{id}/rollback': dashboard,
  'GET /workflows/{id}/changes': dashboard,
  'GET /workflows/{id}/changes/{changeId}': dashboard,
  'GET /workflows/{id}/shadows': dashboard,
  'GET /workflows/{id}/shadows/{shadowId}': dashboard,
  'GET /workflows/{id}/handoff': dashboard,
  'GET /assets/{file}': dashboard,

  'POST /api/auth/sign-in': { public: 'signing in' },
  'GET /api/auth/providers': { public: 'the sign-in page lists how to sign in' },
  'GET /api/auth/oidc/start': { public: 'starts single sign-on' },
  'GET /api/auth/oidc/callback': { public: 'the identity provider returns here; state, nonce and PKCE prove the round trip' },
  'GET /setup': { public: 'the one-time link page; the link secret is the credential' },
  'POST /api/setup': { public: 'uses a one-time link; the link secret is the credential' },
  'POST /api/auth/sign-out': { signedIn: 'ending one\'s own session' },
  'GET /api/auth/me': { signedIn: 'who am I, and what may I do' },
  'GET /api/auth/sessions': self,
  'DELETE /api/auth/sessions/{id}': self,
  'GET /api/tokens': self,
  'POST /api/tokens': self,
  'DELETE /api/tokens/{id}': self,

  'GET /api/users': on('users:read', 'global'),
  'POST /api/users': on('users:write', 'global'),
  'GET /api/users/{id}': on('users:read', 'global'),
  'PATCH /api/users/{id}': on('users:write', 'global'),
  'POST /api/users/{id}/unlock': on('users:write', 'global'),
  'POST /api/users/{id}/password-link': on('users:write', 'global'),
  'POST /api/users/{id}/password': on('users:write', 'global'),
  'GET /api/teams': on('users:read', 'global'),
  'POST /api/teams': on('teams:write', 'global'),
  'PUT /api/teams/{id}/members/{user}': on('teams:write', 'global'),
  'DELETE /api/teams/{id}/members/{user}': on('teams:write', 'global'),

  'GET /api/workflows': on('workflows:read', 'somewhere'),
  'POST /api/workflows/validate': on('workflows:deploy', 'somewhere'),
  'POST /api/workflows/deploy': on('workflows:deploy', 'somewhere'),
  'GET /api/workflows/{id}': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/versions': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/versions/{version}': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/diff': on('workflows:read', { workflow: 'id' }),
  // The handoff pack: what the workflow's people need to run it (no secret, no run payload).
  'GET /api/workflows/{id}/handoff': on('workflows:read', { workflow: 'id' }),
  'PUT /api/workflows/{id}/deployments/{stage}': on('deployments:write', { workflow: 'id' }),
  'POST /api/workflows/{id}/deployments/{stage}/pause': on('deployments:write', { workflow: 'id' }),
  'POST /api/workflows/{id}/deployments/{stage}/rollback': on('deployments:write', { workflow: 'id' }),
  'POST /api/workflows/{id}/deployments/{stage}/resume': on('deployments:write', { workflow: 'id' }),
  'GET /api/workflows/{id}/members': on('workflows:read', { workflow: 'id' }),
  'PUT /api/workflows/{id}/members': on('members:write', { workflow: 'id' }),
  'DELETE /api/workflows/{id}/members': on('members:write', { workflow: 'id' }),
  'POST /api/workflows/{id}/runs': on('runs:start', { workflow: 'id' }),
  'GET /api/runs': on('runs:read', 'somewhere'),
  'GET /api/runs/{id}': on('runs:read', { run: 'id' }),
  'GET /api/models': on('workflows:read', 'somewhere'),
  // The dashboard: the overview lists only the workflows the person may see; the event stream
  // sends a run's changes only where they may read runs, a review's only where they may read reviews.
  'GET /api/overview': on('workflows:read', 'somewhere'),
  'GET /api/workflows/{id}/flow': on('runs:read', { workflow: 'id' }),
  // What the workflow's email triggers read, skipped and failed on: run state, read like the flow.
  'GET /api/workflows/{id}/triggers': on('runs:read', { workflow: 'id' }),
  // Metrics and traces are what runs did. /api/metrics names its workflow in the query, and a trace
  // is found by its id alone, so both check the workflow in the handler (404 where the caller may not
  // read its runs); /metrics (Prometheus, scraped with an API token) shows only those workflows.
  'GET /api/metrics': on('runs:read', 'somewhere'),
  'GET /api/workflows/{id}/traces': on('runs:read', { workflow: 'id' }),
  'GET /api/traces/{traceId}': on('runs:read', 'somewhere'),
  // A Keel run's trace: its id is derived from the run's, so the run's own rule applies.
  'GET /api/runs/{id}/trace': on('runs:read', { run: 'id' }),
  // Monitors are operations on a workflow, like pausing it: its owner, builders and admins change
  // them and acknowledge incidents (the handlers check the workflow an incident or monitor is on).
  'GET /api/workflows/{id}/monitors': on('workflows:read', { workflow: 'id' }),
  'POST /api/workflows/{id}/monitors': on('deployments:write', { workflow: 'id' }),
  'DELETE /api/monitors/{id}': on('deployments:write', 'somewhere'),
  'GET /api/incidents': on('workflows:read', 'somewhere'),
  'POST /api/incidents/{id}/acknowledge': on('deployments:write', 'somewhere'),
  'GET /api/workflows/{id}/drift': on('runs:read', { workflow: 'id' }),
  'GET /metrics': on('runs:read', 'somewhere'),
  'GET /api/events': on('workflows:read', 'somewhere'),
  'GET /api/reviews': on('reviews:read', 'somewhere'),
  'GET /api/reviews/{id}': on('reviews:read', { review: 'id' }),
  'POST /api/reviews/{id}/decision': on('reviews:decide', { review: 'id' }),
  // External workflows ask for reviews as a script with a token (an owner's or a builder's); the
  // caller waits for the decision with the read permission of the workflow it asked on.
  'POST /api/workflows/{id}/reviews': on('reviews:request', { workflow: 'id' }),
  'GET /api/reviews/{id}/decision': on('reviews:read', { review: 'id' }),
  'POST /api/reviews/{id}/claim': on('reviews:decide', { review: 'id' }),
  'POST /api/reviews/{id}/comments': on('reviews:decide', { review: 'id' }),
  // Each task in a bulk approval and the task `next` hands out are checked against the person's
  // permission on that task's own workflow inside the handler.
  'POST /api/reviews/bulk-approve': on('reviews:decide', 'somewhere'),
  'POST /api/reviews/next': on('reviews:decide', 'somewhere'),
  'DELETE /api/reviews/{id}/claim': on('reviews:decide', { review: 'id' }),
  'POST /api/workflows/{workflow}/runs/{run}/steps/{step}/decision': on('reviews:decide', { workflow: 'workflow' }),
  'GET /api/workflows/{id}/review-metrics': on('reviews:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/boundary/suggestion': on('workflows:read', { workflow: 'id' }),
  // A decided review becomes a labelled case: whoever may decide the workflow's reviews may label its data.
  'POST /api/reviews/{id}/dataset-case': on('reviews:decide', { review: 'id' }),
  'GET /api/workflows/{id}/datasets/{dataset}/cases': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/datasets': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/datasets/{dataset}/versions/{n}/cases': on('workflows:read', { workflow: 'id' }),
  // Datasets decide what a version is measured against before promotion, so changing one is the
  // workflow's builders' and owners' (like deploying), not a viewer's.
  'POST /api/workflows/{id}/datasets/{dataset}/import': on('workflows:deploy', { workflow: 'id' }),
  'POST /api/workflows/{id}/datasets/{dataset}/cases': on('workflows:deploy', { workflow: 'id' }),
  'DELETE /api/workflows/{id}/datasets/{dataset}/cases/{caseId}': on('workflows:deploy', { workflow: 'id' }),
  // Gates: reading follows the workflow; a sign-off is checked against the gate's roles in the
  // handler (the role itself is the authority, never the author); promoting and drills move deployments.
  'GET /api/workflows/{id}/gates/{stage}': on('workflows:read', { workflow: 'id' }),
  'POST /api/workflows/{id}/gates/{stage}/signoffs': on('workflows:read', { workflow: 'id' }),
  'DELETE /api/workflows/{id}/gates/{stage}/signoffs/{signoffId}': on('workflows:read', { workflow: 'id' }),
  'POST /api/workflows/{id}/promote': on('deployments:write', { workflow: 'id' }),
  'POST /api/workflows/{id}/drills': on('deployments:write', { workflow: 'id' }),
  'GET /api/workflows/{id}/drills': on('workflows:read', { workflow: 'id' }),
  // An eval run executes runs (model calls cost money), so starting and cancelling one is starting runs.
  'POST /api/workflows/{id}/evals': on('runs:start', { workflow: 'id' }),
  'GET /api/workflows/{id}/evals': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/evals/compare': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/evals/{evalId}': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/evals/{evalId}/results': on('workflows:read', { workflow: 'id' }),
  'POST /api/workflows/{id}/evals/{evalId}/cancel': on('runs:start', { workflow: 'id' }),
  'POST /api/workflows/{id}/shadows': on('runs:start', { workflow: 'id' }),
  'GET /api/workflows/{id}/shadows': on('workflows:read', { workflow: 'id' }),
  'GET /api/workflows/{id}/shadows/{shadowId}': on('workflows:read', { workflow: 'id' }),
  'POST /api/workflows/{id}/shadows/{shadowId}/stop': on('runs:start', { workflow: 'id' }),

  // The instruction library is shared by every workflow: anyone who may read some workflow may read
  // it; storing a version or moving a label changes what every workflow using it runs next, so it
  // needs the deploy permission everywhere (a global builder or admin), not an owner of one workflow.
  'GET /api/prompts': on('workflows:read', 'somewhere'),
  'GET /api/prompts/version': on('workflows:read', 'somewhere'),
  'GET /api/prompts/diff': on('workflows:read', 'somewhere'),
  'GET /api/library/search': on('workflows:read', 'somewhere'),
  'POST /api/prompts/labels': on('workflows:deploy', 'global'),
  'POST /api/prompts/deploy': on('workflows:deploy', 'global'),

  // Connectors and grants. Who owns what is readable by anyone who works with workflows; secrets are
  // never in these answers. Deciding or revoking a grant is the connector owner's or an admin's: the
  // owner is a person named on the connector row, not a role, so these two routes need only
  // connectors:read here and the handler compares the person with the row (403 otherwise). Grant
  // lists and the inventory show grants of workflows the person may see, or of connectors they own.
  'GET /api/connectors': on('connectors:read', 'somewhere'),
  'GET /api/connectors/{id}': on('connectors:read', 'somewhere'),
  // Creating needs connectors:write (checked in the handler); changing one is also its owner's.
  'PUT /api/connectors/{id}': on('connectors:read', 'somewhere'),
  'PUT /api/connectors/{id}/secrets/{name}': on('connectors:read', 'somewhere'),
  // The kill switch, like changing a connector: its owner or an admin (connectors:write), checked in the handler.
  'POST /api/connectors/{id}/pause': on('connectors:read', 'somewhere'),
  'POST /api/connectors/{id}/resume': on('connectors:read', 'somewhere'),
  'POST /api/workflows/{id}/grants': on('grants:request', { workflow: 'id' }),
  'POST /api/grants/{id}/decision': on('connectors:read', 'somewhere'),
  'DELETE /api/grants/{id}': on('connectors:read', 'somewhere'),
  'GET /api/grants': on('connectors:read', 'somewhere'),
  'GET /api/access/inventory': on('connectors:read', 'somewhere'),

  // OTLP/HTTP trace export from external workflows (a script with an owner's or a builder's token).
  // Each resource names its workflow; the handler rejects, span by span, those of workflows the
  // caller may not write (partial success), so the route only asks for the permission somewhere.
  'POST /v1/traces': on('traces:write', 'somewhere'),

  // Change requests: reading follows the workflow; asking is a deployer's. Deciding is the production
  // version's owner's, a named change approver's or an admin's (changes:decide), never the requester's
  // or the version author's: people named in a file, not a role, so the handler checks them (403
  // saying why). Routes by request id check its workflow in the handler (404 where it is private).
  'POST /api/workflows/{id}/change-requests': on('workflows:deploy', { workflow: 'id' }),
  'GET /api/workflows/{id}/change-requests': on('workflows:read', { workflow: 'id' }),
  'GET /api/change-requests/{id}': on('workflows:read', 'somewhere'),
  'POST /api/change-requests/{id}/approve': on('workflows:read', 'somewhere'),
  'POST /api/change-requests/{id}/reject': on('workflows:read', 'somewhere'),
  'POST /api/change-requests/{id}/withdraw': on('workflows:read', 'somewhere'),

  'GET /api/audit': on('audit:read', 'global'),
  'GET /api/audit/export': on('audit:read', 'global'),
  'GET /api/audit/verify': on('audit:read', 'global'),
};

interface CompiledRule {
  key: string;
  method: string;
  segments: string[];
  literals: number;
  rule: RouteRule;
}

export interface MatchedRule {
  key: string;
  rule: RouteRule;
  params: Record<string, string>;
}

/** Matches a request against the table; the rule with the most literal segments wins. */
export function createRuleMatcher(rules: Readonly<Record<string, RouteRule>> = routeRules): (method: string, path: string) => MatchedRule | undefined {
  const byShape = new Map<string, CompiledRule[]>();
  for (const [key, rule] of Object.entries(rules)) {
    const [method = '', pattern = ''] = key.split(' ');
    const segments = pattern.split('/').slice(1);
    const compiled = { key, method, segments, literals: segments.filter((s) => !s.startsWith('{')).length, rule };
    const shape = `${method} ${segments.length}`;
    byShape.set(shape, [...(byShape.get(shape) ?? []), compiled].sort((a, b) => b.literals - a.literals));
  }
  return (method, path) => {
    const parts = path.split('/').slice(1);
    const lookup = method === 'HEAD' ? 'GET' : method;
    for (const c of byShape.get(`${lookup} ${parts.length}`) ?? []) {
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith('{')) {
          try {
            params[seg.slice(1, -1)] = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
          }
        } else ok = seg === parts[i];
      }
      if (ok) return { key: c.key, rule: c.rule, params };
    }
    return undefined;
  };
}
