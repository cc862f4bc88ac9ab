// A workflow version pins the exact library versions its steps name: moving a label later never
// changes what a deployed version runs, and deploying again makes a new version that pins the new one.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { loadLibraryFolder } from '../../src/prompts/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

const workflow = (ref: string) => `
id: greeter
title: Greeter
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [name], properties: { name: { type: string } } }
steps:
  - id: greet
    kind: model
    prompt: ${ref}
    variables: '{ "name": input.name }'
`;

const prompt = (greeting: string) => `---
name: team/greet
description: Greets a person by name.
model: default
---
${greeting}, {{ name }}!
`;

const quiet = { info() {}, warn() {} };

describe.each(testDatabases())('library pinning on $name', (database) => {
  let db: Db;
  let dir: string;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    dir = mkdtempSync(join(tmpdir(), 'keel-library-'));
    mkdirSync(join(dir, 'team'));
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function publish(greeting: string): Promise<void> {
    writeFileSync(join(dir, 'team', 'greet.md'), prompt(greeting));
    const report = await loadLibraryFolder(db, dir, { label: 'production', actor: 'test', logger: quiet });
    expect(report.skipped).toEqual([]);
  }

  async function greet(name: string): Promise<string> {
    const { run } = await startRun(db, { workflowId: 'greeter', stage: 'production', trigger: 'manual', input: { name } });
    const done = await waitForRun(db, run.id, ['succeeded']);
    return (done.state.greet as { text: string }).text;
  }

  it('keeps running the pinned prompt after the label moves, until the workflow is deployed again', async () => {
    await publish('Hello');
    const first = await deploy(db, workflow('team/greet@production'));
    expect(Object.keys(first.version.library_versions)).toEqual(['team/greet@production']);
    expect(await greet('Ada')).toBe('Hello, Ada!');

    await publish('Good morning');
    expect(await greet('Ada')).toBe('Hello, Ada!');

    const second = await deploy(db, workflow('team/greet@production'));
    expect(second.versionCreated).toBe(true);
    expect(second.version.number).toBe(2);
    expect(second.version.library_versions['team/greet@production']).not.toBe(first.version.library_versions['team/greet@production']);
    expect(await greet('Ada')).toBe('Good morning, Ada!');

    // The same file and the same prompt versions make no new version.
    expect((await deploy(db, workflow('team/greet@production'))).versionCreated).toBe(false);
  });

  it('pins a numbered version even while the label points elsewhere', async () => {
    await publish('Hello');
    await publish('Hi');
    await deploy(db, workflow('team/greet@1'));
    expect(await greet('Grace')).toBe('Hello, Grace!');
  });

  it('refuses to deploy a workflow whose prompt does not resolve, naming the step', async () => {
    await expect(deploy(db, workflow('team/missing@production'))).rejects.toMatchObject({
      code: 'invalid_workflow',
      problems: [expect.objectContaining({ path: 'test.yaml steps[0].prompt' })],
    });
    await publish('Hello');
    await expect(deploy(db, workflow('team/greet@7'))).rejects.toMatchObject({ code: 'invalid_workflow' });
  });
});
