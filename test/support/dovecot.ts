// A real IMAP server for the email connector's tests: Debian's Dovecot, started as a child process
// with its own configuration in a temporary folder. It never reads or touches /etc/dovecot and does
// not need (or disturb) a system-wide dovecot service: base_dir, state_dir, the log, the user
// database and the maildirs all live in the temporary folder, and it listens on 127.0.0.1 only.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

const binary = '/usr/sbin/dovecot';

export interface DovecotServer {
  host: '127.0.0.1';
  port: number;
  /** The one mail user, with a plain password (a test secret, nothing else). */
  username: string;
  password: string;
  /** e.g. "2.3.19.1". */
  version: string;
  /** The server's own log, for failure messages. */
  log(): string;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s), remove the temporary folder. */
  stop(): Promise<void>;
}

/** The account Dovecot's login, auth and mail processes run as. */
interface Account {
  user: string;
  group: string;
  uid: number;
  gid: number;
}

/**
 * Dovecot refuses to run its login processes as root ("This process must not be run as root") and
 * refuses mail access with uid 0, so under root they run as `nobody`, which owns the maildirs; as
 * any other user everything runs as that user (Dovecot's "rootless" setup), since a non-root master
 * cannot switch users at all.
 */
function account(): Account {
  const me = userInfo();
  if (me.uid !== 0) {
    return { user: me.username, group: idOf(['-gn']), uid: me.uid, gid: me.gid };
  }
  return { user: 'nobody', group: idOf(['-gn', 'nobody']), uid: Number(idOf(['-u', 'nobody'])), gid: Number(idOf(['-g', 'nobody'])) };
}

function idOf(args: string[]): string {
  return execFileSync('id', args, { encoding: 'utf8' }).trim();
}

function installedVersion(): string {
  if (!existsSync(binary)) {
    throw new Error(`Dovecot is not installed (${binary} is missing); the email connector's IMAP tests need it: run \`apt-get install dovecot-imapd\` (as root), as .ci/run does.`);
  }
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  const version = /^(\d+\.\d+[\w.]*)/.exec(out)?.[1];
  if (!version) throw new Error(`Could not read Dovecot's version from "${out}".`);
  return version;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Paths {
  dir: string;
  passwd: string;
  log: string;
}

/** 2.4 renamed most settings and requires dovecot_config_version first; 2.3 takes the old names. */
function configText(version: string, paths: Paths, port: number, who: Account): string {
  const { dir } = paths;
  const common = [
    'protocols = imap',
    'listen = 127.0.0.1',
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `instance_name = keel-test-${port}`,
    `log_path = ${paths.log}`,
    'ssl = no',
    // What greets() waits for; the first greeting may be "Waiting for authentication process".
    'login_greeting = Keel test IMAP ready',
    'auth_mechanisms = plain login',
    `default_login_user = ${who.user}`,
    `default_internal_user = ${who.user}`,
    `default_internal_group = ${who.group}`,
    `first_valid_uid = ${who.uid}`,
    `first_valid_gid = ${who.gid}`,
    // No chroot: chrooting needs root, and the rootless setup must behave the same.
    'service imap-login {\n  chroot =\n  inet_listener imap {\n    port = ' + port + '\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}',
    'service anvil {\n  chroot =\n}',
  ];
  const is24 = Number(version.split('.')[0]) > 2 || version.startsWith('2.4');
  if (is24) {
    return [
      'dovecot_config_version = 2.4.0',
      'dovecot_storage_version = 2.4.0',
      ...common,
      'auth_allow_cleartext = yes',
      'mail_driver = maildir',
      `mail_path = ${dir}/mail/%{user}`,
      `mail_home = ${dir}/home/%{user}`,
      `passdb passwd-file {\n  passwd_file_path = ${paths.passwd}\n}`,
      `userdb static {\n  fields {\n    uid = ${who.uid}\n    gid = ${who.gid}\n    home = ${dir}/home/%{user}\n  }\n}`,
      '',
    ].join('\n');
  }
  return [
    ...common,
    'disable_plaintext_auth = no',
    `mail_location = maildir:${dir}/mail/%u`,
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${paths.passwd}\n}`,
    `userdb {\n  driver = static\n  args = uid=${who.uid} gid=${who.gid} home=${dir}/home/%u\n}`,
    '',
  ].join('\n');
}

/** Resolves once the server greets with its "ready" line (not the "waiting for auth" one). */
async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('Keel test IMAP ready')) done(true);
    });
  });
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function startOnce(version: string, who: Account): Promise<DovecotServer | 'port_taken'> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-dovecot-'));
  // The auth and mail processes run as `who`, which must reach the files below.
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail', 'home']) mkdirSync(join(dir, sub));
  for (const sub of ['mail', 'home']) chownSync(join(dir, sub), who.uid, who.gid);
  const paths: Paths = { dir, passwd: join(dir, 'passwd'), log: join(dir, 'dovecot.log') };
  const username = 'keel';
  const password = `imap-test-${process.pid}-${Date.now()}`;
  writeFileSync(paths.passwd, `${username}:{PLAIN}${password}::::::\n`, { mode: 0o644 });
  const port = await freePort();
  const configPath = join(dir, 'dovecot.conf');
  writeFileSync(configPath, configText(version, paths, port, who));

  const child = spawn(binary, ['-F', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const log = () => (existsSync(paths.log) ? readFileSync(paths.log, 'utf8') : '') + stderr;
  const stop = async () => {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = log();
      await stop();
      if (/Address already in use/i.test(text)) return 'port_taken';
      throw new Error(`Dovecot ${version} exited while starting:\n${text}`);
    }
    if (await greets(port)) {
      return { host: '127.0.0.1', port, username, password, version, log, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = log();
  await stop();
  throw new Error(`Dovecot ${version} did not greet on 127.0.0.1:${port} within 15 s:\n${text}`);
}

/**
 * Starts a private Dovecot on a free loopback port with one user (`keel`) and an empty INBOX.
 * A port taken between choosing and binding it is retried with another one.
 */
export async function startDovecot(): Promise<DovecotServer> {
  const version = installedVersion();
  const who = account();
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await startOnce(version, who);
    if (server !== 'port_taken') return server;
  }
  throw new Error('Dovecot could not bind a free loopback port in 3 attempts.');
}

/** A client logged in as the mailbox's owner, to append and rearrange mail as a sender would. */
export async function connectMailboxOwner(dovecot: DovecotServer): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: dovecot.host, port: dovecot.port, secure: false, doSTARTTLS: false, logger: false, disableAutoIdle: true,
    auth: { user: dovecot.username, pass: dovecot.password },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Customer mail number n (RFC 5322 text), with a body marker that must never reach logs or answers. */
export function orderMail(n: number, from = 'Ada <ada@customer.example>'): string {
  return `${from ? `From: ${from}\r\n` : ''}To: support@keel.example\r\nSubject: Order ${n}\r\nMessage-ID: <order-${n}@customer.example>\r\n` +
    `Date: Mon, 6 May 2024 10:0${n % 10}:00 +0000\r\n\r\nWhere is order ${n}? (body-canary-${n})\r\n`;
}
