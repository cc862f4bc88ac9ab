// What `npm start` loads must fit together: every connector file in connectors/ is valid for its
// kind, every workflow in workflows/ deploys against those connectors (the deploy-time access check
// passes), and the grants in the connector files approve every scope the workflows list, so the
// examples run without anyone approving anything first. A connector file that breaks would
// otherwise only show up as a workflow missing after start, with an error in the log.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  applyFileGrants, connectorKinds, createConnectorRuntime, listGrants, loadConnectorFiles, parseConnectorFile,
} from '../src/connectors/index.js';
import type { Db } from '../src/db/index.js';
import { KeelError } from '../src/errors.js';
import { loadLibraryFolder } from '../src/prompts/index.js';
import { deployWorkflow } from '../src/registry/index.js';
import { testDatabases } from './support/databases.js';
import { testSecretKey } from './support/harness.js';

const connectorFiles = readdirSync('connectors').filter((f) => /\.ya?ml$/.test(f)).sort();
const exampleConnectorFiles = readdirSync('connectors/examples').filter((f) => f.endsWith('.yaml.example')).sort();
const workflowFiles = readdirSync('workflows').filter((f) => /\.ya?ml$/.test(f)).sort();
const shippedEnv = { KEEL_CONNECTOR_PEOPLE_SLACK_TOKEN: 'xoxb-shipped-test' };

interface Access { connector: string; scopes: string[] }
const workflowsById = new Map(workflowFiles.map((f) => {
  const spec = parseYaml(readFileSync(join('workflows', f), 'utf8')) as { id: string; kind?: string; access?: Access[] };
  return [spec.id, spec] as const;
}));

describe('the shipped connector files', () => {
  it.each([...connectorFiles.map((f) => join('connectors', f)), ...exampleConnectorFiles.map((f) => join('connectors/examples', f))])('%s is valid for its kind and grants only shipped workflows', (file) => {
    const parsed = parseConnectorFile(readFileSync(file, 'utf8'), file, connectorKinds);
    expect(parsed.definition.owner).toMatch(/@example\.com$/);
    for (const grant of parsed.grants) expect([...workflowsById.keys()]).toContain(grant.workflow);
  });

  it('resolves the welcome kits folder against the project, and that folder ships', () => {
    const kits = parseConnectorFile(readFileSync('connectors/welcome-kits.yaml', 'utf8'), 'connectors/welcome-kits.yaml', connectorKinds);
    expect(kits.definition.config.root).toBe(resolve('examples/welcome-kits'));
    // The files connector never creates its root, so a fresh clone must already have it.
    expect(statSync('examples/welcome-kits').isDirectory()).toBe(true);
    expect(readdirSync('examples/welcome-kits')).toContain('.gitignore');
  });

  it('reads a relative files root from the project folder above the connector file, and leaves an absolute one alone', () => {
    const file = (root: string) => `id: kits\nkind: files\ntitle: Kits\nowner: it@example.com\nconfig: { root: ${root} }\n`;
    const at = resolve('/srv/acme/connectors/kits.yaml');
    expect(parseConnectorFile(file('shared/kits'), at, connectorKinds).definition.config.root).toBe(resolve('/srv/acme/shared/kits'));
    expect(parseConnectorFile(file('./kits'), at, connectorKinds).definition.config.root).toBe(resolve('/srv/acme/kits'));
    expect(parseConnectorFile(file('/var/kits'), at, connectorKinds).definition.config.root).toBe('/var/kits');
    // A name relative to the directory Keel was started from resolves the same way.
    expect(parseConnectorFile(file('kits'), 'connectors/kits.yaml', connectorKinds).definition.config.root).toBe(resolve('kits'));
  });

  it('keep the demo from mailing anyone real and from reaching anything but loopback', () => {
    const mail = parseConnectorFile(readFileSync('connectors/support-mail.yaml', 'utf8'), 'connectors/support-mail.yaml', connectorKinds);
    expect(mail.definition.config).toMatchObject({ smtp: { host: '127.0.0.1' }, allowed_recipient_domains: ['example.com'] });
    for (const file of connectorFiles) {
      const { definition } = parseConnectorFile(readFileSync(join('connectors', file), 'utf8'), file, connectorKinds);
      for (const host of definition.allowHosts ?? []) expect(host, `${file} allow_hosts`).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });
});

describe.each(testDatabases())('the shipped examples on $name', (database) => {
  let db: Db;
  const errors: Array<Record<string, unknown>> = [];
  const load = (env: Record<string, string>) => loadConnectorFiles({
    db, kinds: connectorKinds, secretKey: testSecretKey, env, logError: (message, facts) => errors.push({ message, ...facts }), logInfo() {},
  }, 'connectors');

  beforeEach(async () => {
    db = await database.open();
    errors.length = 0;
  });
  afterEach(async () => {
    await db.close();
  });

  it('deploys every workflow against the shipped connectors, whose files then approve every scope the workflows list', async () => {
    const connectors = await load(shippedEnv);
    expect(errors).toEqual([]);
    expect(connectors.failed).toEqual([]);
    expect(connectors.loaded).toHaveLength(connectorFiles.length);
    const library = await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'test', logger: { info() {}, warn() {} } });
    expect(library.skipped).toEqual([]);
    for (const file of workflowFiles) {
      const path = join('workflows', file);
      // Throws with every problem named (an unknown connector or action, a wrong delivery class, a scope not under access).
      await deployWorkflow(db, { source: readFileSync(path, 'utf8'), sourceName: path, stage: 'production', actor: 'keel:startup' });
    }
    const applied = await applyFileGrants(db, connectors.grants, { logError: (message, facts) => errors.push({ message, ...facts }), logInfo() {} });
    expect(errors).toEqual([]);
    expect(applied.approved).toBe(connectors.grants.flatMap((f) => f.grants.flatMap((g) => g.scopes)).length);

    for (const [id, spec] of workflowsById) {
      if (spec.kind === 'external') continue;
      const approved = (await listGrants(db, { workflowId: id, status: 'approved' })).map((g) => `${g.connector_id} ${g.scope}`).sort();
      const listed = (spec.access ?? []).flatMap((a) => a.scopes.map((s) => `${a.connector} ${s}`)).sort();
      expect(approved, `grants of ${id}`).toEqual(listed);
      expect(await listGrants(db, { workflowId: id, status: 'requested' }), `requests of ${id} left for a person`).toEqual([]);
    }
  });

  it('loads the Slack connector without its token, names the variable in the log, and its actions fail as misconfigured', async () => {
    const connectors = await load({});
    expect(connectors.failed).toEqual([]);
    expect(connectors.loaded).toContain('people-slack');
    expect(errors).toEqual([expect.objectContaining({ connector: 'people-slack', secret: 'bot-token', variable: 'KEEL_CONNECTOR_PEOPLE_SLACK_TOKEN' })]);
    // What the post's context.secret() does at run time: a clear, non-secret error naming the connector and secret.
    const runtime = createConnectorRuntime({ db, secretKey: testSecretKey, allowHosts: [] });
    const error = await runtime.readSecret('people-slack', 'bot-token').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: 'misconfigured', message: expect.stringContaining('people-slack') });
  });
});
