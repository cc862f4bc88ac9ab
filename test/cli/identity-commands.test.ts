// The identity commands: users, tokens, teams, members and whoami against a real server with an
// admin's token, and the bootstrap commands on the embedded database directly (first admin,
// --password-stdin, unlocking a locked-out account), which the folder lock refuses beside a server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/app.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import { killKeelProcesses, startKeelProcess } from '../support/cli-process.js';
import { parseJson, runCli, startTestKeel, type CliResult, type TestKeel } from './cli-harness.js';

const passphrase = 'copper lanterns over quiet harbours';

/** Runs the CLI with `stdin` as standard input (for --password-stdin). */
async function runCliWithStdin(argv: string[], env: Record<string, string>, stdin: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => Promise.resolve(stdin) });
  return { code, out, err, stdout: out.join('\n'), stderr: err.join('\n') };
}

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The secret `keel tokens create` printed on the line after its label. */
function secretOf(r: CliResult): string {
  const i = r.out.indexOf('secret (use it as KEEL_TOKEN or --token):');
  const secret = r.out[i + 1]?.trim();
  if (i < 0 || !secret?.startsWith('keel_')) throw new Error(`no secret in: ${r.stdout}`);
  return secret;
}

describe('against a running server with an admin token', () => {
  let server: TestKeel;
  let env: Record<string, string>;
  const keel = (...argv: string[]) => runCli(argv, env);
  const as = (token: string, ...argv: string[]) => runCli(argv, { ...env, KEEL_TOKEN: token });

  beforeAll(async () => {
    server = await startTestKeel();
    env = { KEEL_URL: server.url, KEEL_TOKEN: server.token };
  });
  afterAll(async () => {
    await server.stop();
  });

  it('creates a user with a role and a working one-time link, lists and shows them, and sets their roles', async () => {
    const made = await keel('users', 'create', 'Dana@Example.com', '--name', 'Dana Reyes', '--role', 'viewer');
    expect(made.code, made.stderr).toBe(0);
    expect(made.out[0]).toMatch(/^created user dana@example\.com \(usr_\S+\), roles viewer$/);
    expect(made.out[1]).toMatch(/^one-time link to set the password \(works once, valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\):$/);
    const link = new RegExp(`^ {2}${server.url}/setup#token=(\\S+)$`).exec(made.out[2] ?? '');
    expect(link, made.stdout).toBeTruthy();
    const setup = await post(server.url, '/api/setup', { token: link![1], password: passphrase });
    expect(setup.status).toBe(200);

    const list = await keel('users', 'list');
    expect(list.out[0]).toMatch(/^EMAIL\s+NAME\s+STATUS\s+ROLES\s+PASSWORD\s+LOCKED UNTIL\s+ID$/);
    expect(list.out).toContainEqual(expect.stringMatching(/^dana@example\.com\s+Dana Reyes\s+active\s+viewer\s+set\s+usr_\S+$/));
    const show = await keel('users', 'show', 'dana@example.com');
    expect(show.out).toEqual([
      expect.stringMatching(/^user dana@example\.com {2}active {2}\(usr_\S+\)$/),
      '  name      Dana Reyes', '  roles     viewer', '  password  set', expect.stringMatching(/^ {2}created /),
    ]);

    const roles = await keel('users', 'roles', 'dana@example.com', 'builder,reviewer');
    expect(roles).toMatchObject({ code: 0, out: ['user dana@example.com now has roles builder, reviewer'] });
    expect(parseJson<{ roles: string[] }>(await keel('users', 'show', 'dana@example.com', '--json')).roles).toEqual(['builder', 'reviewer']);

    const badRole = await keel('users', 'roles', 'dana@example.com', 'builder,wizard');
    expect(badRole.code).toBe(2);
    expect(badRole.err).toEqual(['error: roles: unknown "wizard"; must be among admin, builder, approver, reviewer, viewer', 'usage: keel users roles EMAIL R,R']);
    const again = await keel('users', 'create', 'dana@example.com');
    expect(again.code).toBe(1);
    expect(again.err[0]).toBe('error: A user with the email dana@example.com already exists.');
    const missing = await keel('users', 'show', 'nobody@example.com');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: No user nobody@example.com.');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('disables a user so their token stops working, and enables them again', async () => {
    await keel('users', 'create', 'erin@example.com', '--role', 'viewer');
    const token = secretOf(await keel('tokens', 'create', 'erin-laptop', '--user', 'erin@example.com', '--scopes', 'workflows:read'));
    expect((await as(token, 'workflows')).code).toBe(0);

    const disabled = await keel('users', 'disable', 'erin@example.com');
    expect(disabled).toMatchObject({ code: 0, out: ['user erin@example.com is disabled; their sessions ended'] });
    const refused = await as(token, 'workflows');
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toBe('error: The account erin@example.com is disabled.');
    expect(parseJson<{ status: string }>(await keel('users', 'show', 'erin@example.com', '--json')).status).toBe('disabled');

    expect(await keel('users', 'enable', 'erin@example.com')).toMatchObject({ code: 0, out: ['user erin@example.com is active again'] });
    expect((await as(token, 'workflows')).code).toBe(0);
  });

  it('makes a scoped token whose secret is shown once and works, lists it without the secret, and revokes it', async () => {
    const made = await keel('tokens', 'create', 'ci', '--scopes', 'workflows:read', '--expires-days', '30');
    expect(made.code, made.stderr).toBe(0);
    const id = /^made token (tok_\S+) "ci" for person\S+@example\.com$/.exec(made.out[0] ?? '')?.[1];
    expect(id, made.stdout).toBeTruthy();
    expect(made.out[1]).toBe('  scopes   workflows:read');
    expect(made.out[2]).toMatch(/^ {2}expires {2}\d{4}-/);
    expect(made.out.at(-1)).toMatch(/^this secret will not be shown again/);
    const secret = secretOf(made);

    const listed = await as(secret, 'workflows');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^triage\s+Ticket triage\s/m);
    const run = await as(secret, 'run', 'triage', '--input', '{"subject":"x"}');
    expect(run.code).toBe(1);
    expect(run.err[0]).toBe(`error: Not allowed: the token ${id} does not carry the scope runs:start.`);
    const problem = parseJson<{ status: number; code: string }>(await as(secret, 'run', 'triage', '--input', '{"subject":"x"}', '--json'));
    expect(problem).toMatchObject({ status: 403, code: 'permission_denied' });

    const list = await keel('tokens', 'list');
    expect(list.out[0]).toMatch(/^ID\s+NAME\s+USER\s+STATE\s+CREATED\s+EXPIRES\s+LAST USED\s+SCOPES$/);
    expect(list.out).toContainEqual(expect.stringMatching(new RegExp(`^${id}\\s+ci\\s+person\\S+\\s+active\\s.*\\sworkflows:read$`)));
    const listJson = await keel('tokens', 'list', '--json');
    for (const r of [list, listJson]) expect(r.stdout).not.toContain(secret);
    expect(listJson.stdout).not.toMatch(/secret/);

    const revoked = await keel('tokens', 'revoke', id!);
    expect(revoked).toMatchObject({ code: 0, out: [expect.stringMatching(new RegExp(`^revoked token ${id} "ci" of person\\S+; it no longer works$`))] });
    const after = await as(secret, 'workflows');
    expect(after.code).toBe(1);
    expect(after.err[0]).toBe(`error: The API token ${id} (ci) was revoked.`);
    expect((await keel('tokens', 'list', '--all')).out).toContainEqual(expect.stringMatching(new RegExp(`^${id}\\s+ci\\s+\\S+\\s+revoked\\s`)));
    const twice = await keel('tokens', 'revoke', id!);
    expect(twice.code).toBe(1);
    expect(twice.err[0]).toMatch(/already revoked/);
  });

  it('prints the API answer with --json, secret included, and refuses bad token input with exit 2', async () => {
    const made = parseJson<{ token: { id: string; scopes: string[] }; secret: string }>(await keel('tokens', 'create', 'script', '--scopes', 'runs:read,workflows:read', '--json'));
    expect(made.token.scopes).toEqual(['runs:read', 'workflows:read']);
    expect(made.secret).toMatch(/^keel_/);
    const badScope = await keel('tokens', 'create', 'x', '--scopes', 'workflows:read,runs:fly');
    expect(badScope.code).toBe(2);
    expect(badScope.err[0]).toMatch(/^error: --scopes: unknown "runs:fly"; must be among workflows:read, /);
    expect(badScope.err[1]).toBe('usage: keel tokens create NAME --scopes S,S [--expires-days N] [--user EMAIL]');
    expect((await keel('tokens', 'create', 'x')).err[0]).toBe('error: --scopes is required');
    expect((await keel('tokens', 'create', 'x', '--scopes', 'all', '--expires-days', 'soon')).code).toBe(2);
    expect((await keel('tokens', 'revoke')).code).toBe(2);
    // Nobody can give a token more than they hold: an API problem, exit 1.
    const dana = secretOf(await keel('tokens', 'create', 'dana', '--user', 'dana@example.com', '--scopes', 'all'));
    const wider = await as(dana, 'tokens', 'create', 'wider', '--scopes', 'users:write');
    expect(wider.code).toBe(1);
    expect(wider.err[0]).toBe('error: You cannot give a token scopes you do not hold: users:write.');
  });

  it('creates a team, adds and removes a member', async () => {
    const made = await keel('teams', 'create', 'Support Leads');
    expect(made.out[0]).toMatch(/^created team Support Leads \(team_\S+\)/);
    const added = await keel('teams', 'add', 'Support Leads', 'dana@example.com');
    expect(added).toMatchObject({ code: 0, out: ['dana@example.com is in team Support Leads; members: dana@example.com'] });
    expect((await keel('teams', 'list')).out).toContainEqual(expect.stringMatching(/^Support Leads\s+team_\S+\s+dana@example\.com\s/));
    const removed = await keel('teams', 'remove', 'support leads', 'dana@example.com');
    expect(removed).toMatchObject({ code: 0, out: ['dana@example.com is no longer in team Support Leads; members: none'] });
    expect((await keel('teams', 'list')).out).toContainEqual(expect.stringMatching(/^Support Leads\s+team_\S+\s+-\s/));
    const missing = await keel('teams', 'add', 'Nobody', 'dana@example.com');
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toBe('error: No team Nobody.');
  });

  it('adds, lists and removes the owners and reviewers of a workflow', async () => {
    const user = await keel('members', 'add', 'triage', '--user', 'dana@example.com', '--role', 'reviewer');
    expect(user.code, user.stderr).toBe(0);
    expect(user.out[0]).toBe('user dana@example.com is now reviewer of triage');
    expect((await keel('members', 'add', 'triage', '--team', 'Support Leads', '--role', 'owner')).code).toBe(0);
    const list = await keel('members', 'list', 'triage');
    expect(list.out[0]).toMatch(/^ROLE\s+KIND\s+MEMBER\s+ADDED BY\s+ADDED$/);
    expect(list.out).toContainEqual(expect.stringMatching(/^reviewer\s+user\s+dana@example\.com\s+person\S+\s+\d{4}-/));
    expect(list.out).toContainEqual(expect.stringMatching(/^owner\s+team\s+Support Leads\s/));

    const removed = await keel('members', 'remove', 'triage', '--user', 'dana@example.com', '--role', 'reviewer');
    expect(removed.out[0]).toBe('user dana@example.com is no longer reviewer of triage');
    const json = parseJson<{ members: Array<{ member: string; role: string }> }>(await keel('members', 'list', 'triage', '--json'));
    expect(json.members).toEqual([expect.objectContaining({ member: 'Support Leads', role: 'owner' })]);
    const notThere = await keel('members', 'remove', 'triage', '--user', 'dana@example.com', '--role', 'reviewer');
    expect(notThere.code).toBe(1);

    const both = await keel('members', 'add', 'triage', '--user', 'a@example.com', '--team', 'x', '--role', 'owner');
    expect(both.code).toBe(2);
    expect(both.err).toEqual(['error: give exactly one of --user EMAIL or --team NAME', 'usage: keel members add WORKFLOW (--user EMAIL | --team NAME) --role owner|reviewer']);
    expect((await keel('members', 'add', 'triage', '--user', 'a@example.com')).err[0]).toBe('error: --role is required');
    expect((await keel('members', 'add', 'triage', '--user', 'a@example.com', '--role', 'boss')).err[0]).toBe('error: --role must be one of owner, reviewer; got "boss"');
    expect((await keel('members', 'list', 'nope')).code).toBe(1);
  });

  it('says who the token belongs to and what it may do', async () => {
    const me = await keel('whoami');
    expect(me.code).toBe(0);
    expect(me.out[0]).toMatch(/^person\S+@example\.com \(person\S+\)$/);
    expect(me.out[1]).toMatch(/^ {2}via {10}token tok_\S+$/);
    expect(me.out[2]).toBe('  roles        admin');
    expect(me.out[3]).toContain('users:write');
    expect(me.out[4]).toBe('  workflows    all');
    expect(parseJson<{ via: string; roles: string[] }>(await keel('whoami', '--json'))).toMatchObject({ via: 'token', roles: ['admin'] });
    const scoped = await keel('tokens', 'create', 'narrow', '--scopes', 'account:self,workflows:read', '--json');
    const { token, secret } = parseJson<{ token: { id: string }; secret: string }>(scoped);
    const narrow = await as(secret, 'whoami');
    expect(narrow.out.slice(1)).toEqual([`  via          token ${token.id}`, '  roles        admin', '  permissions  workflows:read, account:self', '  workflows    all']);
    const anonymous = await runCli(['whoami'], { KEEL_URL: server.url });
    expect(anonymous.code).toBe(1);
  });
});

describe('on the embedded database directly, with no server', () => {
  let dir: string;
  let env: Record<string, string>;
  let running: RunningKeel | undefined;

  const startOnFolder = async () => {
    const config = loadConfig({ env: {}, flags: { server: { port: 0 }, database: { dataDir: env.KEEL_DATA_DIR }, workflowsDir: join(dir, 'none'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent' } });
    running = await startKeel(config, { http: true, workers: false, scheduler: false, loadWorkflows: false });
    return running.url!;
  };
  const stopServer = async () => {
    await running?.stop();
    running = undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keel-cli-identity-'));
    // Not the repository's keel.yaml: a serve started from it would train the example classifier.
    await writeFile(join(dir, 'keel.yaml'), '# no models here\n');
    env = { KEEL_DATA_DIR: join(dir, 'data'), KEEL_CONFIG: join(dir, 'keel.yaml') };
  });
  afterEach(async () => {
    await killKeelProcesses();
  });
  afterAll(async () => {
    await stopServer();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the first admin without a token and prints the one-time link that sets their password', async () => {
    const made = await runCli(['users', 'create', 'admin@example.com', '--admin'], env);
    expect(made.code, made.stderr).toBe(0);
    expect(made.out[0]).toMatch(/^created user admin@example\.com \(usr_\S+\), roles admin$/);
    const link = /^ {2}http:\/\/127\.0\.0\.1:4300\/setup#token=(\S+)$/.exec(made.out[2] ?? '');
    expect(link, made.stdout).toBeTruthy();
    const me = await runCli(['whoami', '--local'], env);
    expect(me.out[0]).toMatch(/^local:\S+ \(.+ \(local CLI\)\)$/);
    expect(me.out[1]).toBe('  via          local');

    const url = await startOnFolder();
    try {
      const setup = await post(url, '/api/setup', { token: link![1], password: passphrase });
      expect(setup.status).toBe(200);
      expect((await post(url, '/api/auth/sign-in', { email: 'admin@example.com', password: passphrase })).status).toBe(200);
    } finally {
      await stopServer();
    }
  });

  it('sets a password read from standard input, so the person can sign in once a server runs', async () => {
    const made = await runCliWithStdin(['users', 'create', 'ops@example.com', '--role', 'builder', '--password-stdin'], env, `${passphrase}\n`);
    expect(made).toMatchObject({ code: 0, out: [expect.stringMatching(/^created user ops@example\.com \(usr_\S+\), roles builder; password set$/)] });
    const listed = await runCli(['users', 'list', '--local'], env);
    expect(listed.out).toContainEqual(expect.stringMatching(/^ops@example\.com\s+ops\s+active\s+builder\s+set\s/));

    const weak = await runCliWithStdin(['users', 'create', 'weak@example.com', '--password-stdin'], env, 'password\n');
    expect(weak.code).toBe(1);
    expect(weak.err[0]).toBe('error: The password is too weak.');
    // A refused password creates nothing: the same command can simply be run again.
    expect((await runCli(['users', 'show', 'weak@example.com', '--local'], env)).code).toBe(1);
    const empty = await runCliWithStdin(['users', 'create', 'empty@example.com', '--password-stdin'], env, '\n');
    expect(empty.code).toBe(2);
    expect(empty.err[0]).toBe('error: --password-stdin found no password on standard input');
    expect((await runCli(['users', 'show', 'empty@example.com', '--local'], env)).code).toBe(1);

    const url = await startOnFolder();
    try {
      const signIn = await post(url, '/api/auth/sign-in', { email: 'ops@example.com', password: passphrase });
      expect(signIn.status).toBe(200);
    } finally {
      await stopServer();
    }
  });

  it('lifts a lockout made by five wrong passwords, from the server\'s machine with no token', async () => {
    let url = await startOnFolder();
    try {
      for (let i = 0; i < 5; i++) expect((await post(url, '/api/auth/sign-in', { email: 'admin@example.com', password: `wrong guess number ${i}` })).status).toBe(401);
      const locked = await post(url, '/api/auth/sign-in', { email: 'admin@example.com', password: passphrase });
      expect(locked.status).toBe(423);
    } finally {
      await stopServer();
    }
    const shown = await runCli(['users', 'show', 'admin@example.com', '--local'], env);
    expect(shown.stdout).toMatch(/^ {2}locked {4}until .* \(keel users unlock admin@example\.com\)$/m);

    const unlocked = await runCli(['users', 'unlock', 'admin@example.com'], env);
    expect(unlocked).toMatchObject({ code: 0, out: ['user admin@example.com is unlocked and may sign in again'] });

    url = await startOnFolder();
    try {
      expect((await post(url, '/api/auth/sign-in', { email: 'admin@example.com', password: passphrase })).status).toBe(200);
    } finally {
      await stopServer();
    }
  });

  it('refuses a local command while a keel serve process holds the same folder, naming that process', async () => {
    const serve = startKeelProcess(['serve', '--port', '0'], { ...env, KEEL_WORKFLOWS_DIR: join(dir, 'none') });
    await serve.waitFor(/Keel is running at/, 60_000);
    try {
      for (const argv of [['users', 'unlock', 'admin@example.com'], ['users', 'list', '--local']]) {
        const r = await runCli(argv, env);
        expect(r.code).toBe(1);
        expect(r.err[0]).toBe(`error: The embedded database in ${env.KEEL_DATA_DIR} is in use by process ${serve.pid}.`);
        expect(r.err[1]).toMatch(/^hint: Stop that process \(keel serve\), or talk to it through its API with a token \(KEEL_TOKEN\)/);
      }
    } finally {
      await serve.stop();
    }
    const after = await runCli(['users', 'list', '--local'], env);
    expect(after.code, after.stderr).toBe(0);
  }, 90_000);
});
