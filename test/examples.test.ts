// The example workflows that `npm start` loads must really run: each is deployed and driven end to end.
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema, loadConfig, type ClassifierModelConfig } from '../src/config/index.js';
import { applyFileGrants, connectorKinds, parseConnectorFile, saveConnector } from '../src/connectors/index.js';
import type { Db } from '../src/db/index.js';
import { startRun, wakeRun } from '../src/engine/index.js';
import { listModelCalls, readLabelledFile, storeClassifierVersion, trainClassifier, type ClassifierModel } from '../src/models/index.js';
import { loadLibraryFolder } from '../src/prompts/index.js';
import { decideReview, listReviews } from '../src/review/index.js';
import { testDatabases } from './support/databases.js';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { deploy, testEngine, waitForRun } from './support/harness.js';
import { startTarget, type Target } from './support/target.js';

const example = (name: string) => readFileSync(`workflows/${name}.yaml`, 'utf8');

// The shipped configuration (keel.yaml): the banking77 classifier, and no model key, so `default` is the offline template model.
const shipped = configSchema.parse({ models: (parseYaml(readFileSync('keel.yaml', 'utf8')) as { models: unknown }).models });
const classifierConfig = shipped.models.banking77 as ClassifierModelConfig;

// Trained once for the file (about ten seconds) from the data the example ships, then stored in each test database.
let banking77: ClassifierModel;
beforeAll(async () => {
  const rows = await readLabelledFile(classifierConfig.dataset, classifierConfig);
  banking77 = await trainClassifier(rows, { seed: 77 });
}, 120_000);

describe.each(testDatabases())('example workflows on $name', (database) => {
  let db: Db;
  let target: Target;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    engine = testEngine(db, { models: { configs: { ...shipped.models, default: { provider: 'template' } }, providerKeys: {} } });
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    await target.close();
  });

  async function deployTriage(): Promise<void> {
    await storeClassifierVersion(db, { name: 'banking77', model: banking77, datasetName: classifierConfig.dataset, datasetHash: 'test', rows: 10_003, actor: 'test' });
    const library = await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'test', logger: { info() {}, warn() {} } });
    expect(library.skipped).toEqual([]);
    // The shipped connector file, pointed at the loopback target instead of the demo helpdesk; its
    // owner's grant is applied once the workflow is deployed, as `npm start` does.
    const helpdesk = parseConnectorFile(readFileSync('connectors/helpdesk.yaml', 'utf8').replace('http://127.0.0.1:4390', target.url).replace('127.0.0.1:4390', '127.0.0.1'), 'connectors/helpdesk.yaml', connectorKinds);
    await saveConnector(db, helpdesk.definition, 'file', 'test');
    await deploy(db, example('support-triage'));
    expect(await applyFileGrants(db, [{ connectorId: 'helpdesk', file: 'connectors/helpdesk.yaml', grants: helpdesk.grants }], { logError: (m) => expect.fail(m), logInfo() {} })).toEqual({ approved: 1, revoked: 0 });
  }

  const triage = (ticket: string, text: string) =>
    startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: ticket, text, customer_email: 'a@example.com' } });

  it('support triage labels a real BANKING77 query offline, finds its policy, drafts the reply from the library and files it', async () => {
    await deployTriage();
    const { run } = await triage('T-1', 'I ordered my card two weeks ago and it still has not arrived, what should I do?');
    const done = await waitForRun(db, run.id, ['succeeded']);
    const state = done.state as {
      classify: { label: string; confidence: number; alternatives: unknown[] };
      policies: { documents: Array<{ name: string }> };
      reply: { text: string };
    };
    expect(state.classify).toMatchObject({ label: 'card_arrival', model: 'banking77', modelVersion: 'banking77@1' });
    expect(state.classify.confidence).toBeGreaterThanOrEqual(0.5);
    expect(state.classify.alternatives).toHaveLength(3);
    expect(state.policies.documents[0]?.name).toBe('policies/card-delivery');
    // Offline, the default model renders the library prompt: the customer's text and the policy are in it.
    expect(state.reply).toMatchObject({ model: 'default', prompt: 'support/reply@production' });
    expect(state.reply.text).toContain('it still has not arrived');
    expect(state.reply.text).toContain('Card delivery');
    expect(target.effects[0]!.body).toMatchObject({ ticket_id: 'T-1', intent: 'card_arrival' });
    // Sure of the label (above the calibrated 0.94): the approval boundary let it through by its rule.
    expect(done.state).toMatchObject({ approval: { decision: 'auto', by: 1, subject: 'draft' } });
  });

  it('support triage asks a person to label what it cannot, reviews unsure and sensitive drafts, and always escalates card security', async () => {
    await deployTriage();
    const unlabelled = await triage('T-2', 'hello?');
    await waitForRun(db, unlabelled.run.id, ['waiting']);
    const [labelReview] = await listReviews(db, { runId: unlabelled.run.id });
    expect(labelReview).toMatchObject({ reason: 'low_confidence', step_id: 'classify' });
    expect((labelReview!.context as { alternatives: unknown[] }).alternatives).toHaveLength(3);
    await decideReview(db, { target: { reviewId: labelReview!.id }, decision: 'edit', output: { label: 'card_arrival', confidence: 1, alternatives: [], model: 'person', modelVersion: 'person' }, actor: 'agent@example.com' }, wakeRun);
    // A label a person gave is sure: the boundary lets the draft through.
    expect((await waitForRun(db, unlabelled.run.id, ['succeeded'])).state).toMatchObject({ approval: { decision: 'auto' } });

    const unsure = await triage('T-3', 'My top up did not go through');
    await waitForRun(db, unsure.run.id, ['waiting']);
    const [draftReview] = await listReviews(db, { runId: unsure.run.id });
    expect(draftReview).toMatchObject({ step_id: 'approval', reason: 'low_confidence', status: 'pending', assigned_role: 'reviewer', proposed: { intent: 'top_up_failed' } });
    expect(draftReview!.context).toMatchObject({ actions: [{ step: 'file_ticket', connector: 'helpdesk', action: 'send', delivery: 'idempotent' }] });
    await decideReview(db, { target: { reviewId: draftReview!.id }, decision: 'edit', output: { ...(draftReview!.proposed as object), reply: 'We are looking into your top-up.' }, actor: 'agent@example.com' }, wakeRun);
    await waitForRun(db, unsure.run.id, ['succeeded']);
    expect(target.effects.at(-1)!.body).toMatchObject({ ticket_id: 'T-3', intent: 'top_up_failed', reply: 'We are looking into your top-up.' });

    const refund = await triage('T-4', 'I want my money back for this item');
    await waitForRun(db, refund.run.id, ['waiting']);
    expect((await listReviews(db, { runId: refund.run.id }))[0]).toMatchObject({ step_id: 'approval', reason: 'policy', status: 'pending', proposed: { intent: 'request_refund' } });

    for (const [ticket, text, intent] of [['T-5', 'My card was stolen yesterday, please block it', 'lost_or_stolen_card'], ['T-6', 'I think someone else has used my card details', 'compromised_card']]) {
      const run = await triage(ticket!, text!);
      await waitForRun(db, run.run.id, ['waiting']);
      const [task] = await listReviews(db, { runId: run.run.id });
      expect(task).toMatchObject({ step_id: 'approval', status: 'escalated', reason: 'policy', assigned_role: 'approver', priority: 2, proposed: { intent } });
      expect(task!.context).toMatchObject({ exclusions: ['card security'] });
    }
    expect(target.effects.map((e) => (e.body as { ticket_id: string }).ticket_id)).toEqual(['T-2', 'T-3']);
  });

  it('support triage asks a real model for the reply as soon as the environment names one, with no file changed', async () => {
    const llm = await startFakeLlmServer();
    try {
      // What `keel serve` reads: keel.yaml plus the environment, where only the base URL was added.
      const config = loadConfig({ file: 'keel.yaml', env: { KEEL_OPENAI_BASE_URL: `${llm.url}/v1` } });
      expect(config.models.default).toMatchObject({ provider: 'openai-compatible', baseUrl: `${llm.url}/v1` });
      await engine.stop();
      engine = testEngine(db, { models: { configs: config.models, providerKeys: config.providerKeys } });
      await engine.startWorkers();
      await deployTriage();
      llm.script('openai', { text: '{"reply": "Your new card takes 3 to 7 working days.", "confidence": 0.92}', model: 'llama3.2-q4' });
      const { run } = await triage('T-4', 'I ordered my card two weeks ago and it still has not arrived, what should I do?');
      const done = await waitForRun(db, run.id, ['succeeded']);
      expect((done.state as { reply: unknown }).reply).toEqual({ reply: 'Your new card takes 3 to 7 working days.', confidence: 0.92 });
      // The model saw the library prompt: its rules, the customer's text and the retrieved policy.
      const sent = JSON.stringify(llm.requests[0]!.body);
      expect(sent).toContain('Never ask for a full card number');
      expect(sent).toContain('it still has not arrived');
      expect(sent).toContain('Card delivery');
      expect(target.effects[0]!.body).toMatchObject({ ticket_id: 'T-4', intent: 'card_arrival', reply: 'Your new card takes 3 to 7 working days.' });
      expect((await listModelCalls(db, run.id)).map((c) => [c.stepId, c.provider, c.responseModel])).toEqual([
        ['classify', 'classifier', 'banking77@1'], ['reply', 'openai-compatible', 'llama3.2-q4'],
      ]);
    } finally {
      await llm.close();
    }
  });

  it('onboarding kit drafts the welcome text and the manager can edit it', async () => {
    await deploy(db, example('onboarding-kit'));
    const { run } = await startRun(db, { workflowId: 'onboarding-kit', stage: 'production', trigger: 'manual', input: { name: 'Grace Hopper', role: 'Engineer', team: 'Platform', manager_email: 'lead@example.com', start_date: '2027-01-04' } });
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    const proposed = review!.proposed as { text: string; model: string };
    expect(proposed.model).toBe('template');
    expect(proposed.text).toContain('Welcome to the team, Grace!');
    expect(proposed.text).toContain('#platform-onboarding');
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'edit', output: { text: 'Welcome, Grace.' }, actor: 'lead@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.output).toMatchObject({ decision: 'edited', output: { text: 'Welcome, Grace.' } });
  });

  it('registers the external workflow without steps or runs', async () => {
    const r = await deploy(db, example('invoice-matching'));
    expect(r.workflow.kind).toBe('external');
    await expect(startRun(db, { workflowId: 'invoice-matching', stage: 'production', trigger: 'manual', input: {} })).rejects.toThrow(/external/);
  });
});
