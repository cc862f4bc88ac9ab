// The example workflows that `npm start` loads must really run: each is deployed and driven end to end,
// through the shipped connector files pointed at real servers on loopback (a helpdesk, an SMTP
// server, a Slack-API-shaped server, a temporary folder) instead of the demo services.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema, loadConfig, type ClassifierModelConfig } from '../src/config/index.js';
import { applyFileGrants, connectorKinds, createConnectorRuntime, loadConnectorFiles, type ConnectorFileGrants } from '../src/connectors/index.js';
import { createMonitorLoop, createTracer } from '../src/observe/index.js';
import { setPaused } from '../src/registry/index.js';
import type { Db } from '../src/db/index.js';
import { startRun, wakeRun } from '../src/engine/index.js';
import { listModelCalls, readLabelledFile, storeClassifierVersion, trainClassifier, type ClassifierModel } from '../src/models/index.js';
import { loadLibraryFolder } from '../src/prompts/index.js';
import { decideReview, listReviews } from '../src/review/index.js';
import { startFolderTarget, startSlackTarget, startSmtpTarget, type FolderTarget, type SlackTarget } from './support/connector-fixtures.js';
import { createPostgresDatabase, postgresTestUrl, testDatabases } from './support/databases.js';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { deploy, testEngine, testSecretKey, waitForRun } from './support/harness.js';
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

interface Mail { from: string; to: string[]; subject: string; text: string }

/** The body of a single-part message as sent (7bit or quoted-printable), decoded. */
function bodyOf(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const body = raw.slice(split + 4).replace(/\r\n$/, '');
  if (!/content-transfer-encoding: quoted-printable/i.test(raw.slice(0, split))) return body.replaceAll('\r\n', '\n');
  const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8').replaceAll('\r\n', '\n');
}

/** The demo sink's stand-in (no login needed, no TLS offered), its messages read as mails. */
async function startMailSink(): Promise<{ port: number; mails(): Mail[]; close(): Promise<void> }> {
  const target = await startSmtpTarget(null);
  const mails = () => target.messages.map(({ from, to, raw }) => ({
    from, to, subject: /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '', text: bodyOf(raw),
  }));
  return { port: target.port, mails, close: () => target.close() };
}

const slackToken = 'xoxb-examples-test-token';

/** The lines of connectors/examples/support-db.yaml.example under `# ---- name ----`, uncommented. */
function supportDbBlock(name: 'table' | 'step' | 'access'): string {
  const lines = readFileSync('connectors/examples/support-db.yaml.example', 'utf8').split('\n');
  const start = lines.indexOf(`# ---- ${name} ----`);
  expect(start, `the ${name} block of support-db.yaml.example`).toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('# ----'));
  return lines.slice(start + 1, end).map((line) => line.replace(/^# ?/, '')).join('\n');
}

describe.each(testDatabases())('example workflows on $name', (database) => {
  let db: Db;
  let target: Target;
  let mail: Awaited<ReturnType<typeof startMailSink>>;
  let slack: SlackTarget;
  let kits: FolderTarget;
  let connectorsDir: string;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    mail = await startMailSink();
    slack = await startSlackTarget(slackToken, '/services/T0/B0/unused');
    kits = startFolderTarget();
    connectorsDir = mkdtempSync(join(tmpdir(), 'keel-example-connectors-'));
    engine = testEngine(db, { models: { configs: { ...shipped.models, default: { provider: 'template' } }, providerKeys: {} } });
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    await target.close();
    await mail.close();
    await slack.close();
    await kits.stop();
    rmSync(connectorsDir, { recursive: true, force: true });
  });

  /**
   * Loads shipped connector files the way `npm start` does (loadConnectorFiles: checked, saved,
   * secrets read from KEEL_CONNECTOR_* and sealed), each first pointed at its loopback stand-in
   * instead of the demo services; the loopback servers take 127.0.0.1 at any port.
   */
  async function loadShippedConnectors(names: Array<'helpdesk' | 'support-mail' | 'welcome-kits' | 'people-slack'>, more: { files?: Record<string, string>; env?: Record<string, string> } = {}): Promise<ConnectorFileGrants[]> {
    const pointAt: Record<string, (text: string) => string> = {
      helpdesk: (t) => t.replace('http://127.0.0.1:4390', target.url).replace('"127.0.0.1:4390"', '"127.0.0.1"'),
      'support-mail': (t) => t.replace('port: 4391', `port: ${mail.port}`),
      'welcome-kits': (t) => t.replace('root: examples/welcome-kits', `root: ${kits.root}`),
      'people-slack': (t) => t.replace('http://127.0.0.1:4392/api/', slack.api).replace('"127.0.0.1:4392"', '"127.0.0.1"'),
    };
    for (const name of names) {
      const shippedText = readFileSync(`connectors/${name}.yaml`, 'utf8');
      const pointed = pointAt[name]!(shippedText);
      expect(pointed, `connectors/${name}.yaml no longer holds the demo address this test replaces`).not.toBe(shippedText);
      writeFileSync(join(connectorsDir, `${name}.yaml`), pointed);
    }
    for (const [file, text] of Object.entries(more.files ?? {})) writeFileSync(join(connectorsDir, file), text);
    const loaded = await loadConnectorFiles({
      db, kinds: connectorKinds, secretKey: testSecretKey, env: { KEEL_CONNECTOR_PEOPLE_SLACK_TOKEN: slackToken, ...more.env },
      logError: (message, facts) => expect.fail(`${message} ${JSON.stringify(facts)}`), logInfo() {},
    }, connectorsDir);
    expect(loaded.failed).toEqual([]);
    return loaded.grants;
  }

  /** The owners' grants in the connector files, applied once the workflow is deployed, as `npm start` does. */
  async function applyGrants(grants: ConnectorFileGrants[]): Promise<{ approved: number; revoked: number }> {
    return applyFileGrants(db, grants, { logError: (m) => expect.fail(m), logInfo() {} });
  }

  async function deployTriage(source = example('support-triage'), more: { files?: Record<string, string>; env?: Record<string, string> } = {}): Promise<void> {
    await storeClassifierVersion(db, { name: 'banking77', model: banking77, datasetName: classifierConfig.dataset, datasetHash: 'test', rows: 10_003, actor: 'test' });
    const library = await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'test', logger: { info() {}, warn() {} } });
    expect(library.skipped).toEqual([]);
    const grants = await loadShippedConnectors(['helpdesk', 'support-mail'], more);
    await deploy(db, source);
    // helpdesk http:write and support-mail email:send, plus one for each extra file's grant.
    expect(await applyGrants(grants)).toEqual({ approved: 2 + Object.keys(more.files ?? {}).length, revoked: 0 });
  }

  async function deployOnboarding(): Promise<void> {
    const grants = await loadShippedConnectors(['welcome-kits', 'people-slack']);
    await deploy(db, example('onboarding-kit'));
    expect(await applyGrants(grants)).toEqual({ approved: 2, revoked: 0 });
  }

  const triage = (ticket: string, text: string) =>
    startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: ticket, text, customer_email: 'a@example.com' } });

  it('support triage labels a real BANKING77 query offline, finds its policy, drafts the reply from the library, files it and mails it', async () => {
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
    // Then the drafted reply went to the customer over SMTP, from the connector's sender.
    expect(mail.mails()).toHaveLength(1);
    expect(mail.mails()[0]).toMatchObject({ from: 'support@example.com', to: ['a@example.com'], subject: 'Re: your message to Keel Bank (ticket T-1)' });
    expect(mail.mails()[0]!.text).toBe(state.reply.text);
    expect(done.state).toMatchObject({ send_reply: { accepted: ['a@example.com'], rejected: [] } });
  });

  it('support triage mails only addresses of the domain the mail connector allows, and sends nothing otherwise', async () => {
    await deployTriage();
    const { run } = await startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: 'T-9', text: 'I ordered my card two weeks ago and it still has not arrived, what should I do?', customer_email: 'someone@gmail.com' } });
    const failed = await waitForRun(db, run.id, ['failed']);
    expect(failed.current_step).toBe('send_reply');
    expect(JSON.stringify(failed.error)).toContain('gmail.com');
    // The ticket was filed before; the mail never left.
    expect(target.effects.map((e) => (e.body as { ticket_id: string }).ticket_id)).toEqual(['T-9']);
    expect(mail.mails()).toEqual([]);
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
    // The reviewer sees both actions approval sets going: the filing and the mail, with its recipient.
    expect(draftReview!.context).toMatchObject({ actions: [
      { step: 'file_ticket', connector: 'helpdesk', action: 'send', delivery: 'idempotent' },
      { step: 'send_reply', connector: 'support-mail', action: 'send', delivery: 'unsafe', scope: 'email:send', would_send: { to: [{ address: 'a@example.com' }], subject: 'Re: your message to Keel Bank (ticket T-3)' } },
    ] });
    await decideReview(db, { target: { reviewId: draftReview!.id }, decision: 'edit', output: { ...(draftReview!.proposed as object), reply: 'We are looking into your top-up.' }, actor: 'agent@example.com' }, wakeRun);
    await waitForRun(db, unsure.run.id, ['succeeded']);
    expect(target.effects.at(-1)!.body).toMatchObject({ ticket_id: 'T-3', intent: 'top_up_failed', reply: 'We are looking into your top-up.' });
    // The customer gets the reply as the reviewer corrected it.
    expect(mail.mails().at(-1)).toMatchObject({ to: ['a@example.com'], subject: 'Re: your message to Keel Bank (ticket T-3)', text: 'We are looking into your top-up.' });

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
    // Nothing waiting at the boundary was mailed.
    expect(mail.mails().map((m) => m.subject)).toEqual(['Re: your message to Keel Bank (ticket T-2)', 'Re: your message to Keel Bank (ticket T-3)']);
  });

  it.skipIf(!postgresTestUrl)('support triage records each ticket\'s intent in PostgreSQL once the documented support-db example is turned on', async () => {
    const target = await createPostgresDatabase(postgresTestUrl!);
    const reporting = new pg.Client({ connectionString: target.url });
    try {
      await reporting.connect();
      await reporting.query(supportDbBlock('table'));
      // The example's three steps: its connector file in connectors/, its step after file_ticket, its access line.
      const triage = example('support-triage')
        .replace('  - id: send_reply\n', `${supportDbBlock('step')}\n  - id: send_reply\n`)
        .replace('  - { connector: support-mail, scopes: ["email:send"] }\n', `  - { connector: support-mail, scopes: ["email:send"] }\n${supportDbBlock('access')}\n`);
      await deployTriage(triage, {
        files: { 'support-db.yaml': readFileSync('connectors/examples/support-db.yaml.example', 'utf8') },
        env: { KEEL_CONNECTOR_SUPPORT_DB_URL: target.url },
      });
      const { run } = await startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: 'T-7', text: 'I ordered my card two weeks ago and it still has not arrived, what should I do?', customer_email: 'a@example.com' } });
      const done = await waitForRun(db, run.id, ['succeeded']);
      expect(done.state).toMatchObject({ record_intent: { row_count: 1 } });
      const rows = await reporting.query('SELECT idempotency_key, ticket_id, intent, confidence FROM ticket_intents');
      expect(rows.rows).toEqual([{ idempotency_key: `${run.id}:record_intent`, ticket_id: 'T-7', intent: 'card_arrival', confidence: expect.any(Number) }]);
      expect(mail.mails()).toHaveLength(1);
    } finally {
      await reporting.end();
      await target.drop();
    }
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
      expect(mail.mails()).toMatchObject([{ to: ['a@example.com'], text: 'Your new card takes 3 to 7 working days.' }]);
      expect((await listModelCalls(db, run.id)).map((c) => [c.stepId, c.provider, c.responseModel])).toEqual([
        ['classify', 'classifier', 'banking77@1'], ['reply', 'openai-compatible', 'llama3.2-q4'],
      ]);
    } finally {
      await llm.close();
    }
  });

  const grace = { name: 'Grace Hopper', role: 'Engineer', team: 'Platform', manager_email: 'lead@example.com', start_date: '2027-01-04' };

  it('onboarding kit drafts the welcome text, the manager can edit it, and the kit as edited is saved and announced in Slack', async () => {
    await deployOnboarding();
    const { run } = await startRun(db, { workflowId: 'onboarding-kit', stage: 'production', trigger: 'manual', input: grace });
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    const proposed = review!.proposed as { text: string; model: string };
    expect(proposed.model).toBe('template');
    expect(proposed.text).toContain('Welcome to the team, Grace!');
    expect(proposed.text).toContain('#platform-onboarding');
    // Nothing is saved or posted before the manager decides.
    expect(readdirSync(kits.root)).toEqual(['template.md']);
    expect(slack.requests).toEqual([]);
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'edit', output: { text: 'Welcome, Grace.' }, actor: 'lead@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state).toMatchObject({
      manager_review: { decision: 'edited', output: { text: 'Welcome, Grace.' } },
      save_kit: { path: '2027-01-04-grace-hopper.md' },
      announce: { channel: 'C0PEOPLEOPS' },
    });
    expect(readFileSync(join(kits.root, '2027-01-04-grace-hopper.md'), 'utf8')).toBe('# Welcome kit: Grace Hopper\n\nWelcome, Grace.\n');
    // One post, with the bot token from KEEL_CONNECTOR_PEOPLE_SLACK_TOKEN, to the connector's channel.
    expect(slack.requests).toHaveLength(1);
    const [post] = slack.requests;
    expect(post).toMatchObject({ path: '/api/chat.postMessage', headers: { authorization: `Bearer ${slackToken}` } });
    const fields = Object.fromEntries(new URLSearchParams(post!.body));
    expect(fields).toMatchObject({ channel: 'C0PEOPLEOPS', text: 'Welcome kit for Grace Hopper (Engineer, Platform, starting 2027-01-04) is ready: 2027-01-04-grace-hopper.md. Their channel: #platform-onboarding' });
  });

  it('onboarding kit saves the draft as it was when the manager approves it, and neither saves nor posts a rejected one', async () => {
    await deployOnboarding();
    const approved = await startRun(db, { workflowId: 'onboarding-kit', stage: 'production', trigger: 'manual', input: { ...grace, name: 'Ada Lovelace', team: 'Research' } });
    await waitForRun(db, approved.run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: approved.run.id });
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'approve', actor: 'lead@example.com' }, wakeRun);
    await waitForRun(db, approved.run.id, ['succeeded']);
    const kit = readFileSync(join(kits.root, '2027-01-04-ada-lovelace.md'), 'utf8');
    expect(kit).toContain('# Welcome kit: Ada Lovelace');
    expect(kit).toContain('Welcome to the team, Ada!');
    expect(kit).toContain('#research-onboarding');

    const rejected = await startRun(db, { workflowId: 'onboarding-kit', stage: 'production', trigger: 'manual', input: grace });
    await waitForRun(db, rejected.run.id, ['waiting']);
    const [task] = await listReviews(db, { runId: rejected.run.id });
    await decideReview(db, { target: { reviewId: task!.id }, decision: 'reject', comment: 'wrong start date', actor: 'lead@example.com' }, wakeRun);
    await waitForRun(db, rejected.run.id, ['rejected']);
    expect(readdirSync(kits.root).sort()).toEqual(['2027-01-04-ada-lovelace.md', 'template.md']);
    expect(slack.requests).toHaveLength(1);
  });

  it('support triage: an hour of only card-security queries after a normal day raises the intent drift alert, mails the support lead and pauses production (fake clock)', async () => {
    await deployTriage();
    const rows = await readLabelledFile(classifierConfig.dataset, classifierConfig);
    const cardSecurity = new Set(['lost_or_stolen_card', 'compromised_card']);
    const everyday = rows.filter((r) => !cardSecurity.has(r.label));
    const shifted = rows.filter((r) => cardSecurity.has(r.label));
    // A fake clock ten minutes into an hour (so the shifted hour is whole whenever the test runs);
    // the normal traffic is traced a day earlier on it.
    const realStart = Date.now();
    const offset = Math.floor(realStart / 3_600_000) * 3_600_000 + 10 * 60_000 - realStart;
    let dayShift = -86_400_000;
    const clock = () => new Date(Date.now() + offset + dayShift);
    const tracer = createTracer({
      db, redaction: shipped.observe.redaction, tickMs: 1_000, batch: 200, settleMs: 0, clock, onError: (m, e) => expect.fail(`${m}: ${String(e)}`),
    });
    const paused: unknown[] = [];
    const monitors = createMonitorLoop({
      db, tickMs: 60_000, clock, onError: (m, e) => expect.fail(`${m}: ${String(e)}`),
      connectors: createConnectorRuntime({ db, secretKey: testSecretKey, allowHosts: ['127.0.0.1'] }),
      pauseStage: async (input) => { paused.push(input); await setPaused(db, input.workflowId, input.stage, true, input.actor, { reason: input.reason }); },
    });
    const settle = async () => {
      for (let i = 0; i < 600; i++) {
        const busy = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE status IN ('queued', 'running')`);
        if (busy.rows[0]!.n === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect.fail('runs did not settle');
    };

    // A normal day: 120 queries spread over the everyday intents.
    const stride = Math.floor(everyday.length / 120);
    for (let i = 0; i < 120; i++) await triage(`N-${i}`, everyday[i * stride]!.text);
    await settle();
    await tracer.drain();
    expect((await monitors.pass()).opened.filter((o) => o.monitor_name === 'intent drift')).toEqual([]);

    // Then an hour of only stolen or compromised cards: escalated to people, so none of them ends,
    // yet each one's label counts as soon as it is classified.
    dayShift = 0;
    for (let i = 0; i < 60; i++) await triage(`S-${i}`, shifted[i * Math.floor(shifted.length / 60)]!.text);
    await settle();
    await tracer.drain();
    const pass = await monitors.pass();
    const [incident] = pass.opened.filter((o) => o.monitor_name === 'intent drift');
    expect(incident, JSON.stringify(pass)).toBeDefined();
    expect(incident!.summary).toMatch(/label PSI \d/);
    expect(incident!.summary).toMatch(/lost_or_stolen_card|compromised_card/);
    expect(incident!.value!).toBeGreaterThan(0.25);
    expect(pass.paused).toEqual([{ workflowId: 'support-triage', stage: 'production' }]);
    const deployment = await db.query<{ paused: boolean; pause_reason: string; paused_by: string }>(
      `SELECT paused, pause_reason, paused_by FROM deployments WHERE workflow_id = 'support-triage' AND stage = 'production'`,
    );
    expect(deployment.rows[0]).toMatchObject({ paused: true, paused_by: 'monitor:file:support-triage:production:intent drift' });
    expect(deployment.rows[0]!.pause_reason).toContain('Stop condition "intent drift" fired');
    await expect(triage('S-late', shifted[0]!.text)).rejects.toMatchObject({ code: 'stage_paused' });
    // The support lead was mailed through the workflow's own mail connector, under its grant.
    const alert = mail.mails().find((m) => m.to.includes('support-lead@example.com'));
    expect(alert?.subject).toBe('Keel: intent drift on support-triage (production paused)');
    expect(alert?.text).toContain('label PSI');
    // The rule keeps firing, but the incident in progress is the only one.
    expect((await monitors.pass()).opened.filter((o) => o.monitor_name === 'intent drift')).toEqual([]);
    const audit = await db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_events WHERE action IN ('incident:opened', 'deployment:paused') ORDER BY id`);
    expect(audit.rows).toContainEqual({ action: 'deployment:paused', actor: 'monitor:file:support-triage:production:intent drift' });
    expect(audit.rows).toContainEqual({ action: 'incident:opened', actor: 'monitor:file:support-triage:production:intent drift' });
  }, 180_000);

  it('registers the external workflow without steps or runs', async () => {
    const r = await deploy(db, example('invoice-matching'));
    expect(r.workflow.kind).toBe('external');
    await expect(startRun(db, { workflowId: 'invoice-matching', stage: 'production', trigger: 'manual', input: {} })).rejects.toThrow(/external/);
  });
});
