// The workflows the benchmarks run, and a quiet engine on a given database.
import { randomBytes } from 'node:crypto';
import { createConnectorRuntime, createEgressClient, secretKeyFromText } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { deployWorkflow } from '../../src/registry/index.js';

/** A workflow of `steps` no-op transform steps (each stores a tiny output), started by hand or by webhook. */
export function chainWorkflow(id: string, steps: number, options: { webhookSecretEnv?: string } = {}): string {
  const trigger = options.webhookSecretEnv
    ? `- webhook: { secret: { env: ${options.webhookSecretEnv} } }`
    : `- webhook: {}`;
  const lines = [
    `id: ${id}`,
    `title: Benchmark chain of ${steps} transform steps`,
    `owner: bench@example.com`,
    `risk: low`,
    `triggers:`,
    `  - manual: {}`,
    `  ${trigger}`,
    `input:`,
    `  type: object`,
    `  properties: { n: { type: integer } }`,
    `steps:`,
  ];
  for (let i = 1; i <= steps; i++) {
    lines.push(`  - id: s${i}`, `    kind: transform`, `    expression: '{ "i": ${i} }'`);
  }
  return `${lines.join('\n')}\n`;
}

export async function deploy(db: Db, yaml: string): Promise<void> {
  await deployWorkflow(db, { source: yaml, sourceName: 'bench.yaml', stage: 'production', actor: 'bench' });
}

export interface BenchEngine extends Engine {
  errors: Array<{ message: string; error: unknown }>;
}

/** An engine with production timings (lease 30 s, heartbeat 10 s, poll 2 s) unless overridden. */
export function benchEngine(db: Db, workers: { concurrency: number; pollMs?: number }): BenchEngine {
  const errors: BenchEngine['errors'] = [];
  const engine = createEngine({
    db,
    egress: createEgressClient({ allowHosts: [] }),
    connectors: createConnectorRuntime({ db, secretKey: secretKeyFromText(randomBytes(32).toString('hex'), 'bench'), allowHosts: [] }),
    workers: { leaseMs: 30_000, heartbeatMs: 10_000, pollMs: 2_000, sweepMs: 5_000, ...workers },
    scheduler: { tickMs: 1_000 },
    onError: (message, error) => errors.push({ message, error }),
  });
  return Object.assign(engine, { errors });
}

/** Waits until no run is queued or running; returns counts by status. */
export async function waitForIdle(db: Db, timeoutMs: number, pollMs = 50): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM runs GROUP BY status`);
    const counts = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
    if (!counts.queued && !counts.running) return counts;
    if (Date.now() > deadline) throw new Error(`runs still in flight after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
