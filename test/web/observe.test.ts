// The observability pages in a real browser, over runs the server's own tracer counted: a
// workflow's metric charts (read through their data tables, not their pixels) over two windows, its
// drift and monitors; a run's trace as a waterfall with its step and model spans; an incident a
// monitor opened, acknowledged from the incidents page; the pause its stop condition made, shown
// with its reason and resumed from the banner; and an external workflow's OTLP trace on its own page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { createTestIdentity } from '../support/identity.js';
import { createPerson, launchBrowser, newContext, screenshot, signIn, startDashboardServer, type DashboardServer } from './browser.js';

// A model step through a loopback OpenAI-protocol server, then a transform; no person in the loop,
// so every run that succeeds is automated. Its metric is Keel's coverage figure.
const answers = `id: answers
title: Customer answers
owner: support-lead@example.com
team: support
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [question], properties: { question: { type: string } } }
steps:
  - id: draft
    kind: model
    model: writer
    template: "Answer the customer: {{ input.question }}"
    output_schema: { type: object, required: [reply], properties: { reply: { type: string } } }
  - id: shape
    kind: transform
    expression: '{ "sent": true }'
metric: { name: answers sent without a person, unit: percent, baseline: 20, target: 70, measure: coverage_pct }
runbook:
  monitors:
    - { name: slow answers, metric: latency_p95_ms, above: 60000, window: 1h }
`;

const intake = `id: intake
title: Form intake
owner: ops-lead@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: note
    kind: transform
    expression: '{ "noted": true }'
`;

const supportScript = `id: support-script
title: Support script
kind: external
owner: support-lead@example.com
risk: low
`;

interface Metrics { totals: { runs: number } }
interface Incident { id: string; status: string; paused_stage: boolean; monitor_name: string }

/** A column of a chart's data table, as numbers (a dash for no data is null). */
async function column(chart: Locator, index: number): Promise<Array<number | null>> {
  const cells = await chart.locator(`.chart-table tbody tr td:nth-of-type(${index})`).allTextContents();
  return cells.map((c) => (c === '–' ? null : Number(c.replace(/[^0-9.]/g, ''))));
}
const sum = (values: Array<number | null>) => values.reduce<number>((a, b) => a + (b ?? 0), 0);

/** The aria-labels of the waterfall's rows, in order. */
function spanNames(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Spans' }).locator(':scope > li').evaluateAll((items) => items.map((i) => i.getAttribute('aria-label') ?? ''));
}

describe('dashboard observability', () => {
  let server: DashboardServer;
  let browser: Browser;
  let llm: FakeLlmServer;
  let token: string;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(server.url + path, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function runToEnd(workflow: string, input: unknown): Promise<string> {
    const { run_id } = await call<{ run_id: string }>('POST', `/api/workflows/${workflow}/runs`, { input });
    await expect.poll(async () => (await call<{ run: { status: string } }>('GET', `/api/runs/${run_id}`)).run.status, { timeout: 20_000 }).toBe('succeeded');
    return run_id;
  }

  /** The tracer counts an ended run a couple of seconds after it ends (it leaves recent changes to settle). */
  async function counted(workflow: string, runs: number): Promise<void> {
    await expect.poll(async () => (await call<Metrics>('GET', `/api/metrics?workflow=${workflow}&from=24h&bucket=hour`)).totals.runs, { timeout: 30_000 }).toBe(runs);
  }

  beforeAll(async () => {
    llm = await startFakeLlmServer();
    server = await startDashboardServer({ 'answers.yaml': answers, 'intake.yaml': intake, 'support-script.yaml': supportScript }, {
      keelYaml: `egress:
  allowHosts: ["127.0.0.1"]
models:
  writer:
    provider: openai-compatible
    model: writer-1
    baseUrl: ${llm.url}/v1
    timeoutMs: 5000
    retries: { maxAttempts: 1, backoffMs: 5 }
    price: { inputPerMillion: 1000, outputPerMillion: 2000 }
observe:
  monitors: { tickMs: 500 }
  tracer: { tickMs: 200 }
`,
      // The tracer and the monitor loop run in the scheduling process.
      scheduler: true,
    });
    browser = await launchBrowser();
    token = (await createTestIdentity(server.keel.db, ['admin'])).token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await llm?.close();
  });

  it('charts a workflow\'s runs, coverage, latency and cost over two windows, with drift, monitors and a run\'s trace', async () => {
    const runs: string[] = [];
    for (const question of ['Where is my card?', 'Can I change my PIN?', 'Why was I charged twice?']) {
      llm.script('openai', { text: JSON.stringify({ reply: 'We are on it.' }), model: 'writer-1-2026-01', tokensIn: 40, tokensOut: 10 });
      runs.push(await runToEnd('answers', { question }));
    }
    await counted('answers', 3);

    const person = await createPerson(server, ['admin'], 'olive');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, person, '/workflows/answers');
    const metrics = page.getByRole('region', { name: 'Metrics' });
    const figure = (label: string) => metrics.locator('.figure').filter({ has: page.locator('dt').getByText(label, { exact: true }) }).locator('.figure-value');
    await expect.poll(() => figure('Runs').textContent()).toBe('3');
    expect(await figure('Automation coverage').textContent()).toBe('100 %');
    expect(await figure('Human override').textContent()).toBe('–');
    // 40 tokens in at $1000 per million and 10 out at $2000, three times.
    expect(await figure('Cost').textContent()).toBe('$0.18');
    expect(await figure('Prompt success').textContent()).toBe('100 %');
    const business = metrics.getByRole('group', { name: 'Business metric' });
    expect(await business.textContent()).toMatch(/answers sent without a person\s*100 percent\s*baseline 20 percent → target 70 percent/);
    await business.getByText('beats baseline').waitFor();
    await business.getByText('meets target').waitFor();

    // Six charts (the business metric's too, against its baseline and target), each drawn by uPlot,
    // titled, and summed up in words.
    expect(await metrics.locator('figure.chart figcaption').allTextContents())
      .toEqual(['Runs', 'Automation coverage', 'Human override', 'Latency', 'Cost and tokens', 'answers sent without a person']);
    await expect.poll(() => metrics.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(6);
    const runsChart = metrics.getByRole('figure', { name: 'Runs', exact: true });
    expect(await runsChart.getByRole('img').getAttribute('aria-label')).toMatch(/^Runs, 25 hours from .*succeeded: 3 in all, at most [1-3] in one hour; failed: 0 in all/);
    await runsChart.getByRole('button', { name: 'Show data table of Runs' }).click();
    expect(await runsChart.locator('.chart-table thead th').allTextContents()).toEqual(['Hour', 'succeeded', 'failed']);
    expect(await runsChart.locator('.chart-table tbody tr').count()).toBe(25);
    expect(sum(await column(runsChart, 1))).toBe(3);
    expect(sum(await column(runsChart, 2))).toBe(0);
    const latency = metrics.getByRole('figure', { name: 'Latency', exact: true });
    await latency.getByRole('button', { name: 'Show data table of Latency' }).click();
    expect((await column(latency, 2)).filter((v) => v !== null).length).toBeGreaterThan(0);
    const cost = metrics.getByRole('figure', { name: 'Cost and tokens', exact: true });
    await cost.getByRole('button', { name: 'Show data table of Cost and tokens' }).click();
    expect(sum(await column(cost, 2))).toBe(150);
    const goal = metrics.getByRole('figure', { name: 'answers sent without a person', exact: true });
    await goal.getByRole('button', { name: /^Show data table/ }).click();
    expect(await goal.locator('.chart-table thead th').allTextContents()).toEqual(['Hour', 'value', 'baseline', 'target']);
    expect((await column(goal, 1)).filter((v) => v !== null)).toContain(100);
    expect(new Set(await column(goal, 3))).toEqual(new Set([70]));
    await screenshot(page, 'workflow-metrics');

    // The window: 7 days by day; the open table now has a row per day and the same three runs.
    await metrics.getByLabel('Period').selectOption('7d');
    await expect.poll(() => new URL(page.url()).searchParams.get('metrics')).toBe('7d');
    await expect.poll(() => runsChart.locator('.chart-table thead th').first().textContent()).toBe('Day');
    await expect.poll(() => runsChart.locator('.chart-table tbody tr').count()).toBe(8);
    expect(sum(await column(runsChart, 1))).toBe(3);
    await metrics.getByLabel('Stage').selectOption('sandbox');
    await metrics.getByText('No run ended at sandbox in this period').waitFor();
    await metrics.getByLabel('Stage').selectOption('production');

    // Drift needs 50 cases a window; the bands are explained. The file's monitor has a verdict.
    const drift = page.getByRole('region', { name: 'Drift' });
    await drift.getByText('Not judged: each window needs at least 50 cases').waitFor();
    expect(await drift.textContent()).toContain('below 0.1 no shift, 0.1 to 0.25 moderate, above 0.25 significant');
    const monitor = page.getByRole('region', { name: 'Monitors' }).locator('tr[data-monitor="slow answers"]');
    expect(await monitor.textContent()).toContain('latency p95 ms above 60000 over the last 1h, at production');
    await expect.poll(() => monitor.textContent()).toContain('no data');
    expect(await monitor.textContent()).toContain('from the workflow file');
    await screenshot(page, 'workflow-metrics-7d');

    // A run's trace: the run, its two steps, and the model call under the step that made it.
    await page.goto(`${server.url}/runs/${runs[0]}`);
    const trace = page.getByRole('region', { name: 'Trace' });
    await expect.poll(() => spanNames(page), { timeout: 20_000 }).toEqual(['run answers', 'model draft', 'chat writer-1', 'transform shape']);
    expect(await trace.locator('li[data-span="chat writer-1"]').getAttribute('data-depth')).toBe('2');
    expect(await trace.locator('.span-bar').count()).toBe(4);
    const call = trace.getByRole('listitem', { name: 'chat writer-1' });
    expect(await call.textContent()).toContain('writer-1-2026-01 · 40 in / 10 out tokens · $0.06');
    expect(await trace.locator('.trace-facts').textContent()).toContain('1 model call: 50 tokens, $0.06');
    await call.getByRole('button', { name: 'chat writer-1' }).click();
    await call.getByText('gen_ai.usage.input_tokens').waitFor();
    expect(await call.getByRole('button', { name: 'chat writer-1' }).getAttribute('aria-expanded')).toBe('true');
    const root = trace.getByRole('listitem', { name: 'run answers' });
    await root.getByRole('button', { name: 'run answers' }).click();
    await root.getByRole('button', { name: /^Show keel\.input/ }).click();
    expect(await root.getByLabel('keel.input', { exact: true }).textContent()).toContain('"question": "Where is my card?"');
    await screenshot(page, 'run-trace');
    await context.close();
  }, 120_000);

  it('lists an incident a monitor opened, acknowledges it with a note, and resumes the stage its stop condition paused', async () => {
    await runToEnd('intake', { form: 'A-1' });
    await counted('intake', 1);
    // Fires at once: one run in the last hour is above 0; as a stop condition it pauses production.
    await call('POST', '/api/workflows/intake/monitors', { name: 'any runs', metric: 'runs', above: 0, window: '1h', stop: true });
    await expect.poll(async () => (await call<{ incidents: Incident[] }>('GET', '/api/incidents?status=open&workflow=intake')).incidents.map((i) => i.paused_stage), { timeout: 20_000 })
      .toEqual([true]);

    // Someone who may only look sees the incident, without the controls.
    const viewer = await createPerson(server, ['viewer'], 'vera');
    const looking = await newContext(browser);
    const viewerPage = await looking.newPage();
    viewerPage.setDefaultTimeout(15_000);
    await signIn(viewerPage, server, viewer, '/incidents');
    const seen = viewerPage.getByRole('table', { name: 'Open incidents' }).getByRole('row').filter({ hasText: 'any runs' });
    await seen.getByText('an operator of the workflow acknowledges it').waitFor();
    expect(await seen.getByRole('button').count()).toBe(0);
    await looking.close();

    const person = await createPerson(server, ['admin'], 'otto');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, person, '/');
    const banner = page.getByRole('region', { name: 'Needs attention' });
    await banner.getByText('production is paused').waitFor();
    const text = await banner.textContent();
    expect(text).toContain('Form intake');
    expect(text).toContain('by a stop condition');
    expect(text).toContain('Why: Stop condition "any runs" fired: runs over the last 1h is 1, above limit 0: breached.');
    expect(text).toContain('1 open incident');
    await screenshot(page, 'overview-attention');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
    const open = page.getByRole('table', { name: 'Open incidents' });
    const row = open.getByRole('row').filter({ hasText: 'any runs' });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['intake', 'any runsat production', 'runs over the last 1h is 1, above limit 0: breached.']);
    expect(cells[4]).toBe('still holds');
    expect(cells[5]).toBe('paused production');
    expect(cells[6]).toBe('none configured');
    await screenshot(page, 'incidents-open');
    await row.getByRole('button', { name: 'Acknowledge any runs on intake' }).click();
    await row.getByLabel('Note').fill('Test traffic: expected.');
    await row.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByText('No open incident.').waitFor();
    const done = page.getByRole('table', { name: 'Acknowledged incidents' }).getByRole('row').filter({ hasText: 'any runs' });
    await done.getByText('Test traffic: expected.').waitFor();
    expect(await done.textContent()).toContain(person.email);
    await screenshot(page, 'incidents-acknowledged');

    // Acknowledged is not resumed: the workflow's page still says why production is paused.
    await page.goto(`${server.url}/workflows/intake`);
    const paused = page.getByRole('region', { name: 'Needs attention' });
    await paused.getByText('Why: Stop condition "any runs" fired').waitFor();
    const production = page.getByRole('region', { name: 'Deployments' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'production' }) });
    await production.getByText('paused', { exact: true }).waitFor();
    await page.locator('figure.chart canvas').first().waitFor();
    await screenshot(page, 'workflow-paused');
    await paused.getByRole('button', { name: 'Resume production of Form intake' }).click();
    await paused.waitFor({ state: 'detached' });
    await production.getByText('accepting runs').waitFor();
    const workflow = await call<{ deployments: Array<{ stage: string; paused: boolean; pause_reason: string | null }> }>('GET', '/api/workflows/intake');
    expect(workflow.deployments.find((d) => d.stage === 'production')).toMatchObject({ paused: false, pause_reason: null });
    await runToEnd('intake', { form: 'A-2' });
    await context.close();
  }, 120_000);

  it('lists an external workflow\'s OTLP traces and opens one as a waterfall, a failed span marked and a payload folded whole', async () => {
    const now = Date.now();
    const ns = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const attr = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } });
    const messages = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', parts: [{ type: 'text', content: `message ${i + 1}${i === 11 ? ': the very last words' : ''}` }] })));
    await call('POST', '/v1/traces', {
      resourceSpans: [{
        resource: { attributes: [attr('keel.workflow.id', 'support-script'), attr('service.name', 'support-script')] },
        scopeSpans: [{
          scope: { name: 'support-script' },
          spans: [
            { traceId, spanId: '00f067aa0ba902b7', name: 'handle-ticket', kind: 2, startTimeUnixNano: ns(now - 3000), endTimeUnixNano: ns(now - 1000), attributes: [attr('ticket.id', 'T-1001')] },
            { traceId, spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'crm.lookup', kind: 3, startTimeUnixNano: ns(now - 2900), endTimeUnixNano: ns(now - 2500),
              status: { code: 2, message: 'the CRM did not answer' }, attributes: [attr('error.type', 'CrmTimeout')] },
            { traceId, spanId: '00f067aa0ba902b9', parentSpanId: '00f067aa0ba902b7', name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: ns(now - 2400), endTimeUnixNano: ns(now - 1200),
              attributes: [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.request.model', 'gpt-4o-mini'), attr('gen_ai.usage.input_tokens', 1200), attr('gen_ai.usage.output_tokens', 300), attr('gen_ai.input.messages', messages)] },
          ],
        }],
      }],
    });

    const person = await createPerson(server, ['viewer'], 'tess');
    const context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, server, person, '/workflows/support-script');
    const traces = page.getByRole('region', { name: 'Traces' });
    const row = traces.locator(`tr[data-trace="${traceId}"]`);
    await row.waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual([expect.stringMatching(/ ago$/), 'handle-ticket 4bf92f35', 'no status', '2.00 s', '3']);
    await page.locator('figure.chart canvas').first().waitFor();
    await screenshot(page, 'workflow-traces');

    await row.getByRole('link', { name: 'handle-ticket' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/traces/${traceId}`);
    await page.getByRole('heading', { name: /^handle-ticket/, level: 1 }).waitFor();
    await expect.poll(() => spanNames(page)).toEqual(['handle-ticket', 'crm.lookup', 'chat gpt-4o-mini']);
    const failed = page.getByRole('listitem', { name: 'crm.lookup' });
    expect(await failed.textContent()).toContain('CrmTimeout: the CRM did not answer');
    expect(await failed.getAttribute('class')).toContain('span-error');
    const model = page.getByRole('listitem', { name: 'chat gpt-4o-mini' });
    expect(await model.textContent()).toContain('gpt-4o-mini · 1200 in / 300 out tokens');
    await model.getByRole('button', { name: 'chat gpt-4o-mini' }).click();
    // The messages are folded behind a control that says how much they hold, and open whole.
    const fold = model.getByRole('button', { name: /^Show gen_ai\.input\.messages \(\d+ lines, / });
    await fold.waitFor();
    expect(await model.getByText('the very last words').count()).toBe(0);
    await fold.click();
    await model.getByLabel('gen_ai.input.messages', { exact: true }).getByText('message 12: the very last words').waitFor();
    await screenshot(page, 'trace-page');
    await context.close();
  }, 90_000);
});
