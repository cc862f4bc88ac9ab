// Builds a real engine on a real database for a test: fast timings, loopback-only egress.
import type { EngineOptions } from '../../src/engine/index.js';
import { createEgressClient } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { createEngine, getRun, type Engine, type RunRow, type RunStatus } from '../../src/engine/index.js';
import { deployWorkflow, type Stage } from '../../src/registry/index.js';

export const fastWorkers = { concurrency: 4, leaseMs: 2_000, heartbeatMs: 500, pollMs: 200, sweepMs: 200 };

export function testEngine(db: Db, overrides: { faults?: string[]; workers?: Partial<typeof fastWorkers>; models?: EngineOptions['models']; connectors?: EngineOptions['connectors'] } = {}): Engine & { errors: unknown[] } {
  const errors: unknown[] = [];
  const engine = createEngine({
    db,
    egress: createEgressClient({ allowHosts: ['127.0.0.1'] }),
    workers: { ...fastWorkers, ...overrides.workers },
    scheduler: { tickMs: 100 },
    faults: overrides.faults,
    models: overrides.models,
    connectors: overrides.connectors,
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
