// Change requests over HTTP, each answer checked against the route's declared schema: a builder
// asks, a viewer may read but not decide (403 saying why), the owner's rejection without a note is
// a problem naming the field, and the owner approves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { deployWorkflow } from '../../src/registry/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = (template: string) => `
id: kit
title: Kit
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: model
    model: fast
    template: "${template}"
budget: { per_run: { cost: 0.05 } }
`;

describe.each(testDatabases())('change request routes on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
    await deployWorkflow(db, { source: workflow('Reply to {{ input.text }}').replace(/budget:.*\n/, ''), sourceName: 'kit.yaml', stage: 'production', actor: 'first@example.com' });
    await deployWorkflow(db, { source: workflow('Reply kindly to {{ input.text }}'), sourceName: 'kit.yaml', stage: 'testing', actor: 'author@example.com' });
  });
  afterEach(async () => {
    await db.close();
  });

  it('asks as a builder, refuses a viewer\'s decision, needs a note to reject, and is approved by the owner', async () => {
    const app = testHttpApp(db);
    const as = async (roles: Parameters<typeof createTestIdentity>[1], email?: string) =>
      contractChecker(withToken(app, (await createTestIdentity(db, roles, email)).token));
    const builder = await as(['builder']);
    const viewer = await as(['viewer']);
    const owner = await as(['viewer'], 'owner@example.com');
    const stranger = await as([]);

    const asked = await builder.call('POST', '/api/workflows/{id}/change-requests', '/api/workflows/kit/change-requests', { version: '2', reason: 'kinder, within a budget' }, 201);
    expect(asked.body).toMatchObject({ status: 'open', areas: ['prompts', 'model_settings'], from_version_number: 1, to_version_number: 2 });
    const id = (asked.body as unknown as { id: string }).id;
    await viewer.call('POST', '/api/workflows/{id}/change-requests', '/api/workflows/kit/change-requests', { version: '2', reason: 'x' }, 403);

    const list = await viewer.call('GET', '/api/workflows/{id}/change-requests', '/api/workflows/kit/change-requests?status=open', undefined, 200);
    expect((list.body as unknown as { change_requests: { id: string }[] }).change_requests.map((r) => r.id)).toEqual([id]);
    const shown = await viewer.call('GET', '/api/change-requests/{id}', `/api/change-requests/${id}`, undefined, 200);
    expect(shown.body.diff).toEqual(expect.arrayContaining([expect.objectContaining({ area: 'model_settings', path: 'budget', change: 'added' })]));
    await stranger.call('GET', '/api/change-requests/{id}', `/api/change-requests/${id}`, undefined, 403);
    await viewer.call('GET', '/api/change-requests/{id}', '/api/change-requests/chg_missing', undefined, 404);

    const refused = await viewer.call('POST', '/api/change-requests/{id}/approve', `/api/change-requests/${id}/approve`, {}, 403);
    expect(refused.body).toMatchObject({ code: 'permission_denied', detail: expect.stringContaining('may not decide change requests of kit') });
    const byRequester = await builder.call('POST', '/api/change-requests/{id}/approve', `/api/change-requests/${id}/approve`, {}, 403);
    expect(byRequester.body.detail).toContain('asked for');

    const noNote = await owner.call('POST', '/api/change-requests/{id}/reject', `/api/change-requests/${id}/reject`, {}, 422);
    expect(noNote.body).toMatchObject({ code: 'invalid_input', problems: [{ path: 'note', message: 'required to reject' }] });

    const approved = await owner.call('POST', '/api/change-requests/{id}/approve', `/api/change-requests/${id}/approve`, { note: 'looks right' }, 200);
    expect(approved.body).toMatchObject({ status: 'approved', decided_by: 'owner@example.com', decision_note: 'looks right' });
    await builder.call('POST', '/api/change-requests/{id}/withdraw', `/api/change-requests/${id}/withdraw`, {}, 409);
  });
});
