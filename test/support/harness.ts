// Builds a real engine on a real database for a test: fast timings, loopback-only egress.
import type { EngineOptions } from '../../src/engine/index.js';
import { randomBytes } from 'node:crypto';
import { createConnectorRuntime, createEgressClient, decideGrant, listGrants, secretKeyFromText } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { createEngine, getRun, type Engine, type RunRow, type RunStatus } from '../../src/engine/index.js';
import { deployWorkflow, type Stage } from '../../src/registry/index.js';

export const fastWorkers = { concurrency: 4, leaseMs: 2_000, heartbeatMs: 500, pollMs: 200, sweepMs: 200 };

/** The instance key of this test process: seal connector secrets with it and testEngine can open them. */
export const testSecretKey = secretKeyFromText(randomBytes(32).toString('hex'), 'test key');

export function testEngine(db: Db, overrides: { faults?: string[]; workers?: Partial<typeof fastWorkers>; models?: EngineOptions['models']; connectors?: EngineOptions['connectors'] } = {}): Engine & { errors: unknown[] } {
  const errors: unknown[] = [];
  const engine = createEngine({
    db,
    egress: createEgressClient({ allowHosts: ['127.0.0.1'] }),
    workers: { ...fastWorkers, ...overrides.workers },
    scheduler: { tickMs: 100 },
    faults: overrides.faults,
    models: overrides.models,
    connectors: overrides.connectors ?? createConnectorRuntime({ db, secretKey: testSecretKey, allowHosts: ['127.0.0.1'] }),
    onError: (message, error) => errors.push({ message, error }),
  });
  return Object.assign(engine, { errors });
}

/** The smallest managed workflow: started by hand, one transform step (`note`); `extra` is appended as is. */
export function oneStepWorkflow(id: string, options: { title?: string; owner?: string; extra?: string } = {}): string {
  return `id: ${id}
title: ${options.title ?? id}
owner: ${options.owner ?? 'ops@example.com'}
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: note
    kind: transform
    expression: '{ "seen": true }'
${options.extra ?? ''}`;
}

export async function deploy(db: Db, yaml: string, stage: Stage = 'production') {
  return deployWorkflow(db, { source: yaml, sourceName: 'test.yaml', stage, actor: 'test' });
}

/** Deploys, then approves as each connector's owner every grant the workflow's `access` asked for. */
export async function deployGranted(db: Db, yaml: string, stage: Stage = 'production') {
  const deployed = await deploy(db, yaml, stage);
  for (const grant of await listGrants(db, { workflowId: deployed.workflow.id, status: 'requested' })) {
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'connector-owner@example.com', ownsConnector: true });
  }
  return deployed;
}

/** Polls a run until its status is one of `statuses`; fails with the run's state after `timeoutMs`. */
export async function waitForRun(db: Db, runId: string, statuses: RunStatus[], timeoutMs = 10_000): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(db, runId);
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) {
      throw new Error(`run ${runId} is ${run.status} (step ${run.current_step}), expected ${statuses.join('|')}: ${JSON.stringify(run.error)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
