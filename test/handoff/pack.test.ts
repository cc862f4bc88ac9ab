// The handoff pack of the support-triage example, deployed as `npm start` deploys it: every section
// in the Markdown, a readiness checklist with nothing missing, and one that names each missing item
// (and how to fix it) when the owner map, failure modes, grants or a secret's rotation are not in
// place. A secret's value never appears in any format of the pack.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listGrants, putSecret } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { buildHandoffPack, renderHtml, renderMarkdown, type HandoffPack } from '../../src/handoff/index.js';
import { testDatabases } from '../support/databases.js';
import { testSecretKey } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { deployExample, exampleWithoutHandoffFields, packNow } from './fixture.js';

const missingOf = (pack: HandoffPack) => Object.fromEntries(pack.readiness.items.filter((i) => !i.ok).map((i) => [i.id, i.missing]));

describe.each(testDatabases())('the handoff pack on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
  });
  afterEach(async () => {
    await db.close();
  });

  it('of the support-triage example has every section in its Markdown and no missing item', async () => {
    await deployExample(db);
    const pack = await buildHandoffPack(db, { workflowId: 'support-triage', now: packNow });
    expect(pack.stage).toBe('production');
    expect(missingOf(pack)).toEqual({});
    expect(pack.readiness.ready).toBe(pack.readiness.total);
    expect(pack.readiness.total).toBeGreaterThanOrEqual(19);

    const md = renderMarkdown(pack);
    for (const heading of [
      '# Handoff pack: Support ticket triage', '## Readiness: ', '## Workflow card', '### Triggers', '### Input contract', '### Steps', '### Systems touched',
      '### Allowed actions', '### Approval boundary', '### Exclusions', '## Owner map', '## Access inventory', '## Prompts and instructions',
      '### support/reply@production', '### Known failure classes of the workflow', '## Monitoring view', '### Monitors', '### Open incidents',
      '## Runbook', '### Deploy path', '### Deployment history', '### Stop conditions', '## Change process', '### Open change requests',
    ]) expect(md, heading).toContain(heading);
    // The card, worded from the file.
    expect(md).toContain('| file_ticket | helpdesk | send | idempotent |');
    expect(md).toContain('| send_reply | support-mail | send | unsafe |');
    expect(md).toMatch(/time to first triage \(minutes\): baseline 45, target 5, measured as latency_p50_ms/);
    expect(md).toContain('Rule 2: when confidence \\>= 0.94, act automatically.');
    expect(md).toContain('Rule 3: when true, send to reviewer (reason: low_confidence).');
    expect(md).toContain('ticket_id: string (at least 1 characters, at most 64 characters), required');
    // Owner map, access, prompts with their failure classes, monitors, runbook and change process.
    expect(md).toContain('| incidents | support-oncall@example.com |');
    expect(md).toMatch(/\| helpdesk \| http:write \| approved \(grant_\w+\) \| yes \|/);
    expect(pack.prompts.entries.map((e) => [e.ref, e.resolved, e.labels])).toEqual([['support/reply@production', true, ['production']]]);
    expect(pack.prompts.entries[0]!.failure_modes.map((f) => f.name)).toEqual(['reply quotes the wrong policy']);
    expect(pack.prompts.workflow_failure_modes.map((f) => f.name)).toEqual(['arrival confused with delivery estimate', 'short message without an intent']);
    expect(pack.monitoring.monitors.map((m) => [m.name, m.stop])).toEqual([['intent drift', true], ['reviewers override', false], ['no tickets', false]]);
    expect(pack.runbook.deploy_path.map((d) => [d.stage, d.version])).toEqual([['design', null], ['testing', null], ['sandbox', null], ['production', 1]]);
    expect(pack.runbook.history).toMatchObject([{ stage: 'production', action: 'deploy', version: 1, previous_version: null, actor: 'test' }]);
    expect(pack.runbook).toMatchObject({ rollback_command: 'keel rollback support-triage --stage production', next_review: '2027-03-01', review_due: false });
    expect(pack.change_process.approvers).toEqual(['support-lead@example.com', 'ops-manager@example.com']);
    expect(pack.change_process.open_change_requests).toEqual([]);
    expect(md).toContain('- **Next review:** 2027-03-01');
  });

  it('names each missing item of the example without its owner map, failure modes and change approvers, with the fix', async () => {
    await deployExample(db, { source: exampleWithoutHandoffFields() });
    const pack = await buildHandoffPack(db, { workflowId: 'support-triage', now: packNow });
    const missing = missingOf(pack);
    expect(Object.keys(missing).sort()).toEqual(['failure_modes', 'owners.access', 'owners.approvals', 'owners.incidents', 'owners.quality', 'owners.scope']);
    expect(missing['owners.incidents']).toBe('owners.incidents is not set in workflows/support-triage.yaml: name the person who owns incidents (called when a monitor fires)');
    expect(missing.failure_modes).toMatch(/^failure_modes is not set in workflows\/support-triage.yaml: write the failure classes/);
    // The owner alone approves changes when the file names no one else.
    expect(pack.change_process.approvers).toEqual(['support-lead@example.com']);
    expect(pack.readiness).toMatchObject({ ready: pack.readiness.total - 6 });
    expect(renderMarkdown(pack)).toContain('- [ ] Owner map: incidents: owners.incidents is not set in workflows/support-triage.yaml');
  });

  it('names a listed scope without a live grant and a secret past its rotation date, and never shows the secret', async () => {
    await deployExample(db, { grants: false });
    const secret = `planted-${randomBytes(16).toString('hex')}`;
    await putSecret(db, testSecretKey, { connectorId: 'helpdesk', name: 'api-token', value: secret, actor: 'test', rotationDays: 1 });
    const now = new Date(Date.now() + 3 * 86_400_000);
    const pack = await buildHandoffPack(db, { workflowId: 'support-triage', now });
    const missing = missingOf(pack);
    const [helpdeskGrant] = await listGrants(db, { workflowId: 'support-triage', connectorId: 'helpdesk' });
    expect(missing['access.grants']).toContain(`helpdesk http:write has no live approved grant (requested): grant ${helpdeskGrant!.id} waits for support-lead@example.com: keel access approve ${helpdeskGrant!.id}`);
    expect(missing['access.grants']).toContain('support-mail email:send has no live approved grant (requested)');
    expect(missing['access.rotation']).toMatch(/^secret api-token \(version 1\) of connector helpdesk was due for rotation on \d{4}-\d\d-\d\d: support-lead@example.com stores a new value with keel connectors secret helpdesk api-token$/);
    expect(pack.access.connectors.find((c) => c.id === 'helpdesk')?.secrets).toEqual([{ name: 'api-token', version: 1, rotate_by: expect.any(String), rotation_due: true }]);

    const app = testHttpApp(db, { overview: { now: () => now } });
    const admin = withToken(app, (await createTestIdentity(db, ['admin'])).token);
    const formats = [JSON.stringify(pack), renderMarkdown(pack), renderHtml(pack)];
    for (const format of ['json', 'markdown', 'html']) {
      const res = await admin.request(`/api/workflows/support-triage/handoff?format=${format}`);
      expect(res.status).toBe(200);
      formats.push(await res.text());
    }
    for (const text of formats) {
      expect(text).toContain('api-token');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(8, 24));
    }
    await app.closeStreams();
  });
});
