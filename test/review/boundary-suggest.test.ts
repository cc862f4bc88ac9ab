// The boundary suggestion gathers exactly the decisions it should (decided by a person, with a
// numeric confidence in [0, 1]; approved = right, edited or rejected = wrong; expired, open and
// unscored tasks left out), narrows to one step when asked, reads the threshold production runs
// with, and refuses to guess from too few decisions. The route answers as its contract says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { configuredThreshold, suggestBoundary, suggestThreshold, type ScoredDecision } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = (id: string, threshold = 0.7) => `
id: ${id}
title: Replies
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: summarise
    kind: transform
    expression: '{ "text": "x" }'
  - id: classify
    kind: model
    model: template
    template: "Label this"
    output_schema: { type: object, required: [label, confidence], properties: { label: { type: string }, confidence: { type: number } } }
    min_confidence: ${threshold}
`;

describe.each(testDatabases())('boundary suggestion on $name', (database) => {
  let db: Db;
  let version: string;
  let n = 0;
  // What the suggestion must be computed from, built alongside the rows.
  const everyStep: ScoredDecision[] = [];
  const classifyStep: ScoredDecision[] = [];

  async function task(workflowId: string, status: string, confidence: unknown, step?: { id: string; context?: string }): Promise<void> {
    const id = `rev_${++n}`;
    let run: string | null = null;
    if (step) {
      run = `run_${n}`;
      await db.query(
        `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input) VALUES ($1, $2, $3, 'production', 'succeeded', 'manual', '{}'::jsonb)`,
        [run, workflowId, version],
      );
    }
    const context = { confidence, ...(step?.context ? { subject: step.context } : {}) };
    await db.query(
      `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, reason, context, decided_at)
       VALUES ($1, $2, $3, $4, $5, 'low_confidence', $6::jsonb, CASE WHEN $5 IN ('pending', 'escalated') THEN NULL ELSE now() END)`,
      [id, run, step?.id ?? null, workflowId, status, JSON.stringify(context)],
    );
  }

  beforeAll(async () => {
    db = await database.open();
    version = (await deploy(db, workflow('replies'))).version.id;
    await deploy(db, workflow('sparse'));
    // External tasks (no step): 150 right answers at 0.800 to 0.949, 20 wrong ones at 0.50 to 0.69.
    for (let i = 0; i < 150; i++) {
      const confidence = Math.round((0.8 + i * 0.001) * 1000) / 1000;
      await task('replies', 'approved', confidence);
      everyStep.push({ confidence, correct: true });
    }
    for (let i = 0; i < 20; i++) {
      const confidence = Math.round((0.5 + i * 0.01) * 100) / 100;
      await task('replies', i % 2 === 0 ? 'edited' : 'rejected', confidence);
      everyStep.push({ confidence, correct: false });
    }
    // The classify step's own tasks, and the approval boundary's tasks that name it.
    for (let i = 0; i < 35; i++) {
      await task('replies', 'approved', 0.95, { id: 'classify' });
      everyStep.push({ confidence: 0.95, correct: true });
      classifyStep.push({ confidence: 0.95, correct: true });
    }
    for (let i = 0; i < 3; i++) {
      await task('replies', 'rejected', 0.97, { id: 'approval', context: 'classify' });
      everyStep.push({ confidence: 0.97, correct: false });
      classifyStep.push({ confidence: 0.97, correct: false });
    }
    // Never counted: nobody judged these, or their confidence is not a number in [0, 1].
    await task('replies', 'expired', 0.99);
    await task('replies', 'pending', 0.99);
    await task('replies', 'escalated', 0.99);
    await task('replies', 'approved', '0.9');
    await task('replies', 'approved', 1.5);
    await task('replies', 'approved', null);
    for (let i = 0; i < 12; i++) await task('sparse', 'approved', 0.9);
  });
  afterAll(async () => {
    await db.close();
  });

  it('suggests from every scored decision and reads the production threshold', async () => {
    const s = await suggestBoundary(db, { workflowId: 'replies', precision: 0.95 });
    const expected = suggestThreshold(everyStep, { targetPrecision: 0.95, minAccepted: 30 });
    expect(expected.threshold).not.toBeNull();
    expect(s).toMatchObject({
      workflow_id: 'replies', step: null, target_precision: 0.95, confidence_level: 0.95, method: 'clopper-pearson',
      threshold: expected.threshold, precision_lower_bound: expected.precisionLowerBound, precision: expected.precision,
      coverage: expected.coverage, accepted: expected.accepted, n: 208, approved: 185, overridden: 23,
      current: { step: 'classify', min_confidence: 0.7, version: 1, version_id: version },
    });
    expect(s.precision_lower_bound).toBeGreaterThanOrEqual(0.95);
    expect(s.curve.length).toBeGreaterThan(0);
    expect(s.curve.some((p) => p.threshold === s.threshold)).toBe(true);
  });

  it('narrows to one step, the boundary tasks that name it included', async () => {
    const s = await suggestBoundary(db, { workflowId: 'replies', precision: 0.9, step: 'classify', method: 'wilson', confidenceLevel: 0.9 });
    const expected = suggestThreshold(classifyStep, { targetPrecision: 0.9, confidenceLevel: 0.9, method: 'wilson', minAccepted: 30 });
    expect(s).toMatchObject({ step: 'classify', n: 38, approved: 35, overridden: 3, threshold: expected.threshold, coverage: expected.coverage, method: 'wilson' });
    expect(s.current).toMatchObject({ step: 'classify', min_confidence: 0.7 });
  });

  it('says how many decisions it needs when there are too few', async () => {
    await expect(suggestBoundary(db, { workflowId: 'sparse', precision: 0.9 })).rejects.toMatchObject({
      code: 'conflict', message: 'Workflow sparse has 12 decided reviews with a confidence; a suggestion needs at least 30.',
    });
    await expect(suggestBoundary(db, { workflowId: 'replies', precision: 0.9, step: 'nothing' })).rejects.toMatchObject({
      code: 'conflict', message: expect.stringContaining('has 0 decided reviews with a confidence for step nothing'),
    });
    await expect(suggestBoundary(db, { workflowId: 'nobody', precision: 0.9 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(suggestBoundary(db, { workflowId: 'replies', precision: 1.5 })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('reads the configured threshold of the named step, or of the first classify or model step that has one', () => {
    const definition = { steps: [{ id: 'a', kind: 'transform' }, { id: 'b', kind: 'classify' }, { id: 'c', kind: 'model', min_confidence: 0.8 }] };
    expect(configuredThreshold(definition)).toEqual({ step: 'c', min_confidence: 0.8 });
    expect(configuredThreshold(definition, 'c')).toEqual({ step: 'c', min_confidence: 0.8 });
    expect(configuredThreshold(definition, 'b')).toBeUndefined();
    expect(configuredThreshold({ steps: 'broken' })).toBeUndefined();
  });

  it('reads the approval boundary\'s `confidence >= X` auto rule first, as step approval', () => {
    const definition = {
      steps: [{ id: 'c', kind: 'classify', min_confidence: 0.3 }],
      approval: { rules: [{ when: 'output.x == 1', then: 'review' }, { when: 'confidence >= 0.94', then: 'auto' }] },
    };
    expect(configuredThreshold(definition)).toEqual({ step: 'approval', min_confidence: 0.94 });
    expect(configuredThreshold(definition, 'approval')).toEqual({ step: 'approval', min_confidence: 0.94 });
    expect(configuredThreshold(definition, 'c')).toEqual({ step: 'c', min_confidence: 0.3 });
    expect(configuredThreshold({ ...definition, approval: { rules: [{ when: 'confidence >= 0.94', then: 'review' }] } }, 'approval')).toBeUndefined();
  });

  it('serves the suggestion over HTTP as its contract says', async () => {
    const app = withToken(testHttpApp(db), (await createTestIdentity(db)).token);
    const api = await contractChecker(app);
    const ok = await api.call('GET', '/api/workflows/{id}/boundary/suggestion', '/api/workflows/replies/boundary/suggestion?precision=0.95&step=classify', undefined, 200);
    expect(ok.body).toMatchObject({ step: 'classify', n: 38, current: { min_confidence: 0.7 } });
    const few = await api.call('GET', '/api/workflows/{id}/boundary/suggestion', '/api/workflows/sparse/boundary/suggestion?precision=0.95', undefined, 409);
    expect(few.body.detail).toContain('needs at least 30');
    await api.call('GET', '/api/workflows/{id}/boundary/suggestion', '/api/workflows/replies/boundary/suggestion?precision=2', undefined, 422);
    await api.call('GET', '/api/workflows/{id}/boundary/suggestion', '/api/workflows/nobody/boundary/suggestion?precision=0.9', undefined, 404);
  });
});
