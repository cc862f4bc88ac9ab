// GET /api/workflows/{id}/handoff: the pack as JSON (checked against its contract), as Markdown and
// as a self-contained HTML page, each with a file name; nothing a workflow file says becomes markup
// or script in either; the stage asked for, or a problem naming why not; and a person who may not
// read the workflow gets 404, as for the workflow itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf } from '../overview/fixture.js';
import { deployExample, packNow } from './fixture.js';

const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

describe.each(testDatabases())('the handoff route on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let admin: string;
  beforeEach(async () => {
    db = await database.open();
    app = testHttpApp(db, { overview: { now: () => packNow } });
    admin = (await createTestIdentity(db, ['admin'])).token;
  });
  afterEach(async () => {
    await app.closeStreams();
    await db.close();
  });

  it('answers the pack as JSON by its contract, Markdown and HTML with a file name', async () => {
    await deployExample(db);
    const body = (await (await contractChecker(withToken(app, admin))).call('GET', '/api/workflows/{id}/handoff', '/api/workflows/support-triage/handoff', undefined, 200)).body;
    // Deployed straight into production (no gate passed): the pack's own 21 items are ready, and its
    // production gate, judged now, names the evidence that was never gathered.
    expect(body).toMatchObject({ workflow_id: 'support-triage', stage: 'production', generated_at: packNow.toISOString(), readiness: { ready: 25, total: 30 } });
    const items = (body.readiness as unknown as { items: Array<{ id: string; ok: boolean }> }).items;
    expect(items.filter((i) => !i.ok).map((i) => i.id)).toEqual([
      'gate:production:reviewed_sample', 'gate:production:rollback_drill', 'gate:production:signoff:approver', 'gate:production:signoff:owner', 'gate:production:error_rate_accepted',
    ]);

    const md = await withToken(app, admin).request('/api/workflows/support-triage/handoff?format=markdown');
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toBe('attachment; filename="support-triage-handoff-production.md"');
    expect(await md.text()).toMatch(/^# Handoff pack: Support ticket triage\n/);

    const html = await withToken(app, admin).request('/api/workflows/support-triage/handoff?format=html&stage=production');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-disposition')).toBe('inline; filename="support-triage-handoff-production.html"');
    expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await html.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<h2 id="readiness">Readiness: 25 of 30 ready</h2>');
    expect(page).not.toMatch(/<script|<link|src=|href=/i);
  });

  it('escapes whatever a workflow file says, in HTML and in Markdown', async () => {
    await deploy(db, oneStepWorkflow('hostile', {
      title: JSON.stringify(hostile),
      extra: `description: ${JSON.stringify(`${hostile} [click](javascript:alert(1))`)}
failure_modes:
  - { name: ${JSON.stringify(hostile)}, description: "| breaks | the table" }
runbook:
  stop_conditions: [${JSON.stringify(`</li></ul>${hostile}`)}]
`,
    }));
    const page = await (await withToken(app, admin).request('/api/workflows/hostile/handoff?format=html')).text();
    expect(page).not.toMatch(/<script|<img|<\/li><\/ul>&lt;/i);
    expect(page).toContain('<title>Handoff pack: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt; (hostile, production)</title>');
    expect(page).toContain('<li>&lt;/li&gt;&lt;/ul&gt;&lt;script&gt;');
    expect(page.match(/<script/gi)).toBeNull();

    const md = await (await withToken(app, admin).request('/api/workflows/hostile/handoff?format=markdown')).text();
    expect(md).toContain('# Handoff pack: \\<script\\>alert("x")\\</script\\> \\& \\<img src=x onerror=alert(1)\\>');
    expect(md).toContain('\\[click\\](javascript:alert(1))');
    expect(md).toContain('\\| breaks \\| the table');
    expect(md).not.toMatch(/(^|[^\\])<(script|img|\/li)/);
  });

  it('describes the stage asked for, and says why it cannot', async () => {
    await deploy(db, oneStepWorkflow('staged'), 'sandbox');
    await deploy(db, oneStepWorkflow('staged', { title: 'Staged v2' }), 'testing');
    const checker = await contractChecker(withToken(app, admin));
    expect((await checker.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/staged/handoff', undefined, 200)).body).toMatchObject({ stage: 'sandbox', version: { number: 1 } });
    expect((await checker.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/staged/handoff?stage=testing', undefined, 200)).body).toMatchObject({ stage: 'testing', card: { title: 'Staged v2' } });
    expect((await checker.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/staged/handoff?stage=production', undefined, 409)).body)
      .toMatchObject({ code: 'not_deployed', hint: 'It is deployed at sandbox, testing.' });
    expect((await checker.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/staged/handoff?format=pdf', undefined, 422)).body.problems).toMatchObject([{ path: 'query.format' }]);
    await checker.call('GET', '/api/workflows/{id}/handoff', '/api/workflows/nothing/handoff', undefined, 404);
  });

  it('refuses a person who may not read the workflow, as if it did not exist', async () => {
    await deploy(db, oneStepWorkflow('private-flow'));
    await deploy(db, oneStepWorkflow('other-flow'));
    const outsider = await memberOf(db, { 'other-flow': ['owner'] });
    const reviewer = await memberOf(db, { 'private-flow': ['reviewer'] });
    for (const format of ['json', 'markdown', 'html']) {
      const refused = await withToken(app, outsider).request(`/api/workflows/private-flow/handoff?format=${format}`);
      expect(refused.status).toBe(404);
      expect(await refused.text()).not.toContain('private-flow/handoff-');
    }
    expect((await withToken(app, outsider).request('/api/workflows/other-flow/handoff')).status).toBe(200);
    expect((await withToken(app, reviewer).request('/api/workflows/private-flow/handoff?format=html')).status).toBe(200);
    expect((await app.request('/api/workflows/private-flow/handoff')).status).toBe(401);
  });
});
