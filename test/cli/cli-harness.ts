// Runs the `keel` command in-process with its output captured, against a real Keel started the way
// `keel serve` starts one (real HTTP on loopback, embedded database in a temporary folder).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeel, type RunningKeel } from '../../src/app.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import { createTestIdentity } from '../support/identity.js';

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
  /** Everything written to stdout, lines joined. */
  stdout: string;
  stderr: string;
}

/** Calls `main` like the shell would, capturing both streams. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = {}, waitForStop?: () => Promise<void>, stdin?: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l), waitForStop, ...(stdin === undefined ? {} : { readStdin: () => Promise.resolve(stdin) }) });
  return { code, out, err, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Transform, route and review: urgent tickets wait for a person, others finish on their own. */
export const triageWorkflow = `
id: triage
title: Ticket triage
owner: ops@example.com
risk: medium
triggers: [ { manual: {} } ]
input:
  type: object
  required: [subject]
  properties: { subject: { type: string } }
steps:
  - id: classify
    kind: transform
    expression: '{ "priority": $contains(input.subject, "urgent") ? "urgent" : "normal" }'
  - id: pick
    kind: route
    routes:
      - when: 'steps.classify.priority == "urgent"'
        to: check
    default: done
  - id: check
    kind: review
    title: Urgent ticket
    on_reject: end
  - id: done
    kind: transform
    expression: '{ "handled": true, "priority": steps.classify.priority }'
`;

export interface TestKeel {
  keel: RunningKeel;
  url: string;
  /** An admin's API token on that server. */
  token: string;
  /** A second person's (a reviewer's) token: nobody approves a run they started themselves. */
  reviewerToken: string;
  /** A temporary folder for the test's own files. */
  dir: string;
  stop(): Promise<void>;
}

/** A real Keel with the triage workflow loaded into production, on a free loopback port. */
export async function startTestKeel(): Promise<TestKeel> {
  const dir = await mkdtemp(join(tmpdir(), 'keel-cli-'));
  const workflowsDir = join(dir, 'workflows');
  await mkdir(workflowsDir);
  await writeFile(join(workflowsDir, 'triage.yaml'), triageWorkflow);
  const config = loadConfig({
    env: {},
    // Not the repository's keel.yaml: its example classifier would train in every test server.
    file: join(dir, 'keel.yaml'),
    flags: {
      server: { port: 0 },
      database: { dataDir: join(dir, 'data') },
      workflowsDir,
      connectorsDir: join(dir, 'connectors'),
      logLevel: 'silent',
      workers: { pollMs: 100, sweepMs: 200 },
      // Loaded straight into production, as a development instance does: the gates have their own tests.
      gates: { enforce: false },
    },
  });
  const keel = await startKeel(config, { http: true, workers: true, scheduler: false, loadWorkflows: true });
  if (!keel.url) throw new Error('keel started without an HTTP address');
  const { token } = await createTestIdentity(keel.db);
  const { token: reviewerToken } = await createTestIdentity(keel.db, ['reviewer']);
  return {
    keel, url: keel.url, dir, token, reviewerToken,
    async stop() {
      await keel.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export { closedPort } from '../support/ports.js';

/** Parses stdout as exactly one JSON document. */
export function parseJson<T>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}
