// The permission table, checked cell by cell: every route Keel serves, called as every role, as a
// stranger, with no credentials, with a revoked or expired token, with an expired session, and as a
// member of another workflow. The expected answer of each cell is worked out here from the table
// and the role definitions alone (not from the guard's code): 401 without identity, 403 without
// permission, 404 where the workflow itself is private to the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSession, createToken, createTeam, globalRolePermissions, loadAccess, revokeToken, routeRules, setTeamMember,
  setWorkflowMember, workflowRolePermissions, type GlobalRole, type Permission, type RouteRule, type WorkflowRole,
} from '../../src/auth/index.js';
import { createUser } from '../../src/auth/index.js';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { testHttpApp } from '../support/identity.js';
import { startRun } from '../../src/engine/index.js';
import { listReviews } from '../../src/review/index.js';
import { insertSpans, keelSpanId, runTraceId } from '../../src/observe/index.js';

const workflow = (id: string) => `
id: ${id}
title: ${id}
owner: nobody@example.com
risk: low
triggers: [ { manual: {} }, { webhook: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Check it
`;

/** Who calls: the credentials sent, and (for a real identity) what the table says they hold. */
interface Caller {
  name: string;
  headers: Record<string, string>;
  /** Absent: the credentials prove nobody (expect 401 on every guarded route). */
  holds?: { roles: GlobalRole[]; workflows: Record<string, WorkflowRole[]>; scopes?: Permission[] };
}

/** The workflow a route's rule is about, in this fixture. Every per-workflow probe targets alpha. */
const target = 'alpha';

function expectedCell(rule: RouteRule, caller: Caller): 'allowed' | 401 | 403 | 404 {
  if ('public' in rule) return 'allowed';
  if (!caller.holds) return 401;
  if ('signedIn' in rule) return 'allowed';
  const { roles, workflows, scopes } = caller.holds;
  const holds = (p: Permission, wf?: string) =>
    (scopes ? scopes.includes(p) : true) && (p === 'account:self' || roles.some((r) => globalRolePermissions[r].includes(p)) ||
      (wf !== undefined && (workflows[wf] ?? []).some((r) => workflowRolePermissions[r].includes(p))));
  const { permission, scope } = rule;
  if (scope === 'global') return holds(permission) ? 'allowed' : 403;
  if (scope === 'somewhere') return holds(permission) || Object.keys(workflows).some((wf) => holds(permission, wf)) ? 'allowed' : 403;
  if (holds(permission, target)) return 'allowed';
  return holds('workflows:read', target) ? 403 : 404;
}

interface Probe {
  path: string;
  body?: unknown;
}

/**
 * How each route is called. Bodies are chosen to fail validation (422) or name a missing object
 * (404 from the handler) wherever the call would otherwise change state, so that the cells do not
 * change each other's fixture; either answer still proves the guard let the call through.
 */
function probes(ids: { run: string; review: string; user: string }): Record<string, Probe> {
  const bad = { bogus: true };
  return {
    'GET /healthz': { path: '/healthz' },
    'GET /openapi.json': { path: '/openapi.json' },
    'GET /docs': { path: '/docs' },
    'GET /': { path: '/' },
    'GET /sign-in': { path: '/sign-in' },
    'GET /workflows/{id}': { path: '/workflows/alpha' },
    'GET /runs': { path: '/runs' },
    'GET /connectors': { path: '/connectors' },
    'GET /connectors/new': { path: '/connectors/new' },
    'GET /connectors/{id}': { path: '/connectors/crm' },
    'GET /access': { path: '/access' },
    'GET /incidents': { path: '/incidents' },
    'GET /traces/{traceId}': { path: `/traces/${'0'.repeat(31)}1` },
    'GET /workflows/{id}/datasets': { path: '/workflows/alpha/datasets' },
    'GET /workflows/{id}/evals': { path: '/workflows/alpha/evals' },
    'GET /workflows/{id}/evals/compare': { path: '/workflows/alpha/evals/compare' },
    'GET /workflows/{id}/evals/{evalId}': { path: '/workflows/alpha/evals/eval_missing' },
    'GET /workflows/{id}/gates': { path: '/workflows/alpha/gates' },
    'GET /workflows/{id}/rollback': { path: '/workflows/alpha/rollback' },
    'GET /workflows/{id}/changes': { path: '/workflows/alpha/changes' },
    'GET /workflows/{id}/changes/{changeId}': { path: '/workflows/alpha/changes/chg_missing' },
    'GET /workflows/{id}/shadows': { path: '/workflows/alpha/shadows' },
    'GET /workflows/{id}/shadows/{shadowId}': { path: '/workflows/alpha/shadows/shd_missing' },
    'GET /workflows/{id}/handoff': { path: '/workflows/alpha/handoff' },
    'GET /runs/{id}': { path: `/runs/${ids.run}` },
    'GET /reviews': { path: '/reviews' },
    'GET /reviews/{id}': { path: `/reviews/${ids.review}` },
    'GET /assets/{file}': { path: '/assets/missing.js' },
    'POST /hooks/{workflow}': { path: '/hooks/alpha', body: bad },
    'POST /api/auth/sign-in': { path: '/api/auth/sign-in', body: bad },
    'GET /api/auth/providers': { path: '/api/auth/providers' },
    'GET /api/auth/oidc/start': { path: '/api/auth/oidc/start' },
    'GET /api/auth/oidc/callback': { path: '/api/auth/oidc/callback' },
    'GET /setup': { path: '/setup' },
    'POST /api/setup': { path: '/api/setup', body: bad },
    'POST /api/auth/sign-out': { path: '/api/auth/sign-out' },
    'GET /api/auth/me': { path: '/api/auth/me' },
    'GET /api/auth/sessions': { path: '/api/auth/sessions' },
    'DELETE /api/auth/sessions/{id}': { path: '/api/auth/sessions/ses_missing' },
    'GET /api/tokens': { path: '/api/tokens' },
    'POST /api/tokens': { path: '/api/tokens', body: bad },
    'DELETE /api/tokens/{id}': { path: '/api/tokens/tok_missing' },
    'GET /api/users': { path: '/api/users' },
    'POST /api/users': { path: '/api/users', body: bad },
    'GET /api/users/{id}': { path: `/api/users/${ids.user}` },
    'PATCH /api/users/{id}': { path: `/api/users/${ids.user}`, body: { status: 'bogus' } },
    'POST /api/users/{id}/unlock': { path: '/api/users/usr_missing/unlock' },
    'POST /api/users/{id}/password-link': { path: '/api/users/usr_missing/password-link' },
    'POST /api/users/{id}/password': { path: `/api/users/${ids.user}/password`, body: bad },
    'GET /api/teams': { path: '/api/teams' },
    'POST /api/teams': { path: '/api/teams', body: bad },
    'PUT /api/teams/{id}/members/{user}': { path: '/api/teams/team_missing/members/usr_missing' },
    'DELETE /api/teams/{id}/members/{user}': { path: '/api/teams/team_missing/members/usr_missing' },
    'GET /api/workflows': { path: '/api/workflows' },
    'POST /api/workflows/validate': { path: '/api/workflows/validate', body: bad },
    'POST /api/workflows/deploy': { path: '/api/workflows/deploy', body: bad },
    'GET /api/workflows/{id}': { path: '/api/workflows/alpha' },
    'GET /api/workflows/{id}/versions': { path: '/api/workflows/alpha/versions' },
    'GET /api/workflows/{id}/versions/{version}': { path: '/api/workflows/alpha/versions/1' },
    'GET /api/workflows/{id}/diff': { path: '/api/workflows/alpha/diff?from=1&to=1' },
    'GET /api/workflows/{id}/handoff': { path: '/api/workflows/alpha/handoff' },
    'PUT /api/workflows/{id}/deployments/{stage}': { path: '/api/workflows/alpha/deployments/nowhere', body: { version: '1' } },
    'POST /api/workflows/{id}/deployments/{stage}/pause': { path: '/api/workflows/alpha/deployments/nowhere/pause' },
    'POST /api/workflows/{id}/deployments/{stage}/rollback': { path: '/api/workflows/alpha/deployments/nowhere/rollback' },
    'POST /api/workflows/{id}/deployments/{stage}/resume': { path: '/api/workflows/alpha/deployments/nowhere/resume' },
    'GET /api/workflows/{id}/members': { path: '/api/workflows/alpha/members' },
    'PUT /api/workflows/{id}/members': { path: '/api/workflows/alpha/members', body: bad },
    'DELETE /api/workflows/{id}/members': { path: '/api/workflows/alpha/members?kind=robot' },
    'POST /api/workflows/{id}/runs': { path: '/api/workflows/alpha/runs', body: { stage: 'nowhere' } },
    'GET /api/runs': { path: '/api/runs' },
    'GET /api/runs/{id}': { path: `/api/runs/${ids.run}` },
    'GET /api/models': { path: '/api/models' },
    'GET /api/overview': { path: '/api/overview' },
    'GET /api/workflows/{id}/flow': { path: '/api/workflows/alpha/flow' },
    'GET /api/workflows/{id}/triggers': { path: '/api/workflows/alpha/triggers' },
    'GET /api/metrics': { path: '/api/metrics?workflow=alpha' },
    'GET /api/workflows/{id}/traces': { path: '/api/workflows/alpha/traces' },
    'GET /api/traces/{traceId}': { path: `/api/traces/${'0'.repeat(31)}1` },
    'GET /api/workflows/{id}/monitors': { path: '/api/workflows/alpha/monitors' },
    'POST /api/workflows/{id}/monitors': { path: '/api/workflows/alpha/monitors', body: bad },
    'DELETE /api/monitors/{id}': { path: '/api/monitors/mon_missing' },
    'GET /api/incidents': { path: '/api/incidents' },
    'POST /api/incidents/{id}/acknowledge': { path: '/api/incidents/inc_missing/acknowledge', body: {} },
    'GET /api/workflows/{id}/drift': { path: '/api/workflows/alpha/drift' },
    'GET /api/runs/{id}/trace': { path: `/api/runs/${ids.run}/trace` },
    'GET /metrics': { path: '/metrics' },
    'GET /api/events': { path: '/api/events' },
    'GET /api/reviews': { path: '/api/reviews' },
    'GET /api/reviews/{id}': { path: `/api/reviews/${ids.review}` },
    'POST /api/reviews/{id}/decision': { path: `/api/reviews/${ids.review}/decision`, body: { decision: 'bogus' } },
    'POST /api/reviews/{id}/claim': { path: `/api/reviews/${ids.review}/claim`, body: { minutes: -1 } },
    'DELETE /api/reviews/{id}/claim': { path: `/api/reviews/${ids.review}/claim` },
    'POST /api/reviews/{id}/comments': { path: `/api/reviews/${ids.review}/comments`, body: { body: '' } },
    'POST /api/reviews/bulk-approve': { path: '/api/reviews/bulk-approve', body: { ids: [] } },
    'POST /api/reviews/next': { path: '/api/reviews/next', body: { minutes: -1 } },
    'POST /api/workflows/{workflow}/runs/{run}/steps/{step}/decision': { path: `/api/workflows/alpha/runs/${ids.run}/steps/check/decision`, body: { decision: 'bogus' } },
    'GET /api/workflows/{id}/review-metrics': { path: '/api/workflows/alpha/review-metrics?since=7d' },
    'GET /api/workflows/{id}/boundary/suggestion': { path: '/api/workflows/alpha/boundary/suggestion?precision=0.98' },
    'POST /api/reviews/{id}/dataset-case': { path: `/api/reviews/${ids.review}/dataset-case`, body: { tags: [' not a tag'] } },
    'GET /api/workflows/{id}/datasets/{dataset}/cases': { path: '/api/workflows/alpha/datasets/default/cases' },
    'GET /api/workflows/{id}/datasets': { path: '/api/workflows/alpha/datasets' },
    'GET /api/workflows/{id}/datasets/{dataset}/versions/{n}/cases': { path: '/api/workflows/alpha/datasets/missing/versions/latest/cases' },
    'POST /api/workflows/{id}/datasets/{dataset}/import': { path: '/api/workflows/alpha/datasets/default/import', body: { format: 'csv', content: 'bogus\n1' } },
    'POST /api/workflows/{id}/datasets/{dataset}/cases': { path: '/api/workflows/alpha/datasets/default/cases', body: bad },
    'DELETE /api/workflows/{id}/datasets/{dataset}/cases/{caseId}': { path: '/api/workflows/alpha/datasets/default/cases/case_missing' },
    'POST /api/workflows/{id}/reviews': { path: '/api/workflows/alpha/reviews', body: bad },
    'GET /api/reviews/{id}/decision': { path: `/api/reviews/${ids.review}/decision` },
    'GET /api/prompts': { path: '/api/prompts' },
    'GET /api/prompts/version': { path: '/api/prompts/version?name=missing/prompt' },
    'GET /api/prompts/diff': { path: '/api/prompts/diff?name=missing/prompt&from=1&to=2' },
    'GET /api/library/search': { path: '/api/library/search?q=card' },
    'POST /api/prompts/labels': { path: '/api/prompts/labels', body: { name: 'missing/prompt', label: 'production', version: '1' } },
    'POST /api/prompts/deploy': { path: '/api/prompts/deploy', body: bad },
    'GET /api/connectors': { path: '/api/connectors' },
    'GET /api/connectors/{id}': { path: '/api/connectors/missing' },
    'PUT /api/connectors/{id}': { path: '/api/connectors/probe', body: { kind: 'bogus' } },
    'PUT /api/connectors/{id}/secrets/{name}': { path: '/api/connectors/missing/secrets/token', body: { value: 'probe' } },
    'POST /api/connectors/{id}/pause': { path: '/api/connectors/missing/pause', body: { reason: 'probe' } },
    'POST /api/connectors/{id}/resume': { path: '/api/connectors/missing/resume', body: { reason: 'probe' } },
    'POST /api/workflows/{id}/grants': { path: '/api/workflows/alpha/grants', body: bad },
    'POST /api/grants/{id}/decision': { path: '/api/grants/grant_missing/decision', body: { decision: 'bogus' } },
    'DELETE /api/grants/{id}': { path: '/api/grants/grant_missing?note=probe' },
    'GET /api/grants': { path: '/api/grants' },
    'GET /api/access/inventory': { path: '/api/access/inventory' },
    'POST /v1/traces': { path: '/v1/traces', body: bad },
    'POST /api/workflows/{id}/change-requests': { path: '/api/workflows/alpha/change-requests', body: bad },
    'GET /api/workflows/{id}/change-requests': { path: '/api/workflows/alpha/change-requests' },
    'GET /api/change-requests/{id}': { path: '/api/change-requests/chg_missing' },
    'POST /api/change-requests/{id}/approve': { path: '/api/change-requests/chg_missing/approve', body: {} },
    'POST /api/change-requests/{id}/reject': { path: '/api/change-requests/chg_missing/reject', body: {} },
    'POST /api/change-requests/{id}/withdraw': { path: '/api/change-requests/chg_missing/withdraw', body: {} },
    'POST /api/workflows/{id}/evals': { path: '/api/workflows/alpha/evals', body: { concurrency: 'many' } },
    'GET /api/workflows/{id}/evals': { path: '/api/workflows/alpha/evals' },
    'GET /api/workflows/{id}/evals/compare': { path: '/api/workflows/alpha/evals/compare?a=eval_missing&b=eval_missing' },
    'GET /api/workflows/{id}/evals/{evalId}': { path: '/api/workflows/alpha/evals/eval_missing' },
    'GET /api/workflows/{id}/evals/{evalId}/results': { path: '/api/workflows/alpha/evals/eval_missing/results' },
    'POST /api/workflows/{id}/evals/{evalId}/cancel': { path: '/api/workflows/alpha/evals/eval_missing/cancel', body: {} },
    'POST /api/workflows/{id}/shadows': { path: '/api/workflows/alpha/shadows', body: { version: '' } },
    'GET /api/workflows/{id}/shadows': { path: '/api/workflows/alpha/shadows' },
    'GET /api/workflows/{id}/shadows/{shadowId}': { path: '/api/workflows/alpha/shadows/shadow_missing' },
    'POST /api/workflows/{id}/shadows/{shadowId}/stop': { path: '/api/workflows/alpha/shadows/shadow_missing/stop', body: {} },
    'GET /api/workflows/{id}/gates/{stage}': { path: '/api/workflows/alpha/gates/production' },
    'POST /api/workflows/{id}/gates/{stage}/signoffs': { path: '/api/workflows/alpha/gates/production/signoffs', body: { role: 'bogus' } },
    'DELETE /api/workflows/{id}/gates/{stage}/signoffs/{signoffId}': { path: '/api/workflows/alpha/gates/production/signoffs/999999?probe=missing' },
    'POST /api/workflows/{id}/promote': { path: '/api/workflows/alpha/promote', body: bad },
    'POST /api/workflows/{id}/drills': { path: '/api/workflows/alpha/drills', body: {} },
    'GET /api/workflows/{id}/drills': { path: '/api/workflows/alpha/drills' },
    'GET /api/audit': { path: '/api/audit' },
    'GET /api/audit/export': { path: '/api/audit/export' },
    'GET /api/audit/verify': { path: '/api/audit/verify' },
  };
}

/** Hono writes `{id}` as `:id`; the table uses the OpenAPI form. */
const tableKey = (method: string, path: string) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`;

describe.each(testDatabases())('the permission table on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  const callers: Caller[] = [];
  let ids: { run: string; review: string; user: string };

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db);
    await deploy(db, workflow('alpha'));
    await deploy(db, workflow('beta'));
    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      const { run } = await startRun(db, { workflowId: 'alpha', stage: 'production', trigger: 'manual', input: {} });
      await waitForRun(db, run.id, ['waiting']);
      const review = (await listReviews(db, { runId: run.id }))[0]!;
      ids = { run: run.id, review: review.id, user: '' };
      // One span of the run, as the tracer would write it, so GET /api/runs/{id}/trace has a trace to answer.
      const at = new Date();
      await insertSpans(db, [{
        traceId: runTraceId(run.id), spanId: keelSpanId('run', run.id), parentSpanId: null, workflowId: 'alpha', runId: run.id, source: 'keel',
        name: 'run alpha', kind: 'server', startedAt: at, endedAt: at, status: 'ok', statusMessage: null, attributes: {}, events: null, resource: null, scope: 'keel',
      }]);
    } finally {
      await engine.stop();
    }

    const policy = { minPasswordLength: 12 };
    let n = 0;
    const person = async (name: string, roles: GlobalRole[], workflows: Record<string, WorkflowRole[]> = {}, scopes?: Permission[]) => {
      const user = await createUser(db, { email: `${name.replace(/\W+/g, "-")}-${++n}@example.com`, roles }, 'test', policy);
      for (const [wf, wfRoles] of Object.entries(workflows)) {
        for (const role of wfRoles) await setWorkflowMember(db, wf, { kind: 'user', member: user.id, role }, true, 'test');
      }
      const access = await loadAccess(db, user.id, { via: 'session' });
      const { secret } = await createToken(db, access, { name, scopes: scopes ?? access.heldPermissions() });
      callers.push({ name, headers: { authorization: `Bearer ${secret}` }, holds: { roles, workflows, scopes } });
      return { user, access, secret };
    };
    for (const role of ['admin', 'builder', 'approver', 'reviewer', 'viewer'] as const) await person(role, [role]);
    ids.user = (await person('owner of alpha', [], { alpha: ['owner'] })).user.id;
    await person('reviewer of alpha', [], { alpha: ['reviewer'] });
    await person('owner of beta (another workflow)', [], { beta: ['owner'] });
    await person('stranger with no role', []);
    await person('admin token scoped to workflows:read', ['admin'], {}, ['workflows:read']);
    // A team's membership reaches its members.
    const teamMember = await createUser(db, { email: 'team-member@example.com' }, 'test', policy);
    const team = await createTeam(db, 'alpha reviewers', 'test');
    await setTeamMember(db, team.id, teamMember.id, true, 'test');
    await setWorkflowMember(db, 'alpha', { kind: 'team', member: team.id, role: 'reviewer' }, true, 'test');
    const teamAccess = await loadAccess(db, teamMember.id, { via: 'session' });
    callers.push({ name: 'reviewer of alpha through a team', headers: { authorization: `Bearer ${(await createToken(db, teamAccess, { name: 't', scopes: teamAccess.heldPermissions() })).secret}` }, holds: { roles: [], workflows: { alpha: ['reviewer'] } } });

    callers.push({ name: 'no credentials', headers: {} });
    const revoked = await person('holder of a revoked token', ['admin']);
    await revokeToken(db, revoked.access, (await db.query<{ id: string }>('SELECT id FROM api_tokens WHERE secret_hash = encode(sha256(convert_to($1, \'UTF8\')), \'hex\')', [revoked.secret])).rows[0]!.id);
    callers.pop();
    callers.push({ name: 'revoked token', headers: { authorization: `Bearer ${revoked.secret}` } });
    const expired = await person('holder of an expired token', ['admin']);
    await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = $1`, [expired.user.id]);
    callers.pop();
    callers.push({ name: 'expired token', headers: { authorization: `Bearer ${expired.secret}` } });
    callers.push({ name: 'unknown token', headers: { authorization: 'Bearer keel_not-a-token' } });
    const session = await db.transaction((tx) => createSession(tx, expired.user.id, 'password', {}, { sessionHours: 1, sessionIdleMinutes: 60 }));
    await db.query(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [session.session.id]);
    callers.push({ name: 'expired session', headers: { cookie: `keel_session=${session.secret}` } });
  });
  afterAll(async () => {
    await db.close();
  });

  it('has a rule for every route and a route for every rule', () => {
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => tableKey(r.method, r.path)));
    expect([...served].filter((k) => !(k in routeRules)), 'routes without a permission rule').toEqual([]);
    expect(Object.keys(routeRules).filter((k) => !served.has(k)), 'rules without a route').toEqual([]);
  });

  it('answers every route as the table says, for every caller', async () => {
    const table = probes(ids);
    const served = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => tableKey(r.method, r.path)))];
    const mismatches: string[] = [];
    let cells = 0;
    for (const key of served) {
      const rule = routeRules[key];
      const probe = table[key];
      if (!rule || !probe) {
        mismatches.push(`${key}: ${rule ? 'no probe in this test' : 'no rule'}`);
        continue;
      }
      const method = key.split(' ')[0]!;
      for (const caller of callers) {
        cells++;
        const res = await app.request(probe.path, {
          method,
          headers: { ...caller.headers, ...(probe.body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(probe.body === undefined ? {} : { body: JSON.stringify(probe.body) }),
        });
        const want = expectedCell(rule, caller);
        const scoped = 'permission' in rule && typeof rule.scope === 'object';
        const ok = want === 'allowed'
          ? res.status !== 401 && res.status !== 403 && !(scoped && res.status === 404 && !probe.path.includes('missing'))
          : res.status === want;
        if (!ok) mismatches.push(`${key} as ${caller.name}: expected ${want}, got ${res.status} ${(await res.text()).slice(0, 160)}`);
        else await res.body?.cancel();
      }
    }
    console.log(`permission table: ${cells} cells, ${cells - mismatches.length} match`);
    expect(mismatches).toEqual([]);
    // About 2,400 requests, each with a token to check: 15 s on a quiet machine, much longer on a loaded one.
  }, 180_000);
});
