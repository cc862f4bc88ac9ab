import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEgressClient } from '../../src/connectors/index.js';
import { filesKind } from '../../src/connectors/kinds/files.js';
import type { ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { KeelError } from '../../src/errors.js';

// Every test gets a fresh temp area holding `root` (the connector's folder) and `outside` (a
// folder next to it with a secret), so escapes have something real to reach for.

let area: string;
let root: string;
let outside: string;

const context: ConnectorContext = {
  secret: () => Promise.reject(new KeelError('misconfigured', 'files has no secrets')),
  egress: createEgressClient(),
  idempotencyKey: 'run-1:write:1',
  signal: new AbortController().signal,
};

beforeEach(async () => {
  area = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-files-'));
  root = path.join(area, 'root');
  outside = path.join(area, 'outside');
  await fs.mkdir(path.join(root, 'docs', 'deep'), { recursive: true });
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret.txt'), 'outside secret');
  await fs.writeFile(path.join(root, 'docs', 'readme.md'), '# Hello\n');
  await fs.writeFile(path.join(root, 'docs', 'notes.txt'), 'notes');
  await fs.writeFile(path.join(root, 'docs', 'deep', 'inner.md'), 'inner');
});

afterEach(async () => {
  await fs.rm(area, { recursive: true, force: true });
});

/** Calls an action the way the runtime does: config and input validated first. */
async function call(action: string, input: unknown, config: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const found = filesKind.actions[action];
  if (!found) throw new Error(`no action ${action}`);
  const parsedConfig = filesKind.config.parse({ root, ...config });
  const output = await found.run({ config: parsedConfig, input: found.input.parse(input), context });
  return output as Record<string, unknown>;
}

/** Calls run() with input that skipped validation, to prove the action defends itself too. */
async function callUnchecked(action: string, input: Record<string, unknown>): Promise<unknown> {
  const found = filesKind.actions[action];
  if (!found) throw new Error(`no action ${action}`);
  return found.run({ config: filesKind.config.parse({ root }), input: { encoding: 'utf8', if_exists: 'overwrite', ...input } as never, context });
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

async function tempFilesUnder(folder: string): Promise<string[]> {
  const names = await fs.readdir(folder, { recursive: true });
  return names.filter((name) => path.basename(name).startsWith('.keel-tmp-'));
}

describe('files connector: read', () => {
  it('reads a text file with its size and modification time', async () => {
    const out = await call('read', { path: 'docs/readme.md' });
    expect(out).toMatchObject({ path: 'docs/readme.md', content: '# Hello\n', bytes: 8, encoding: 'utf8' });
    expect(new Date(out.modified_at as string).getTime()).toBeGreaterThan(0);
  });

  it('reads binary content as base64 and refuses it as utf8', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    await fs.writeFile(path.join(root, 'blob.bin'), bytes);
    const out = await call('read', { path: 'blob.bin', encoding: 'base64' });
    expect(out).toMatchObject({ content: bytes.toString('base64'), bytes: 4 });
    const error = await failure(call('read', { path: 'blob.bin' }));
    expect(error.code).toBe('invalid_input');
    expect(error.hint).toContain('base64');
  });

  it('answers not_found for a missing file and invalid_input for a folder', async () => {
    const missing = await failure(call('read', { path: 'docs/nope.md' }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain('"docs/nope.md"');
    expect((await failure(call('read', { path: 'docs' }))).code).toBe('invalid_input');
  });

  it('refuses a file larger than max_bytes', async () => {
    await fs.writeFile(path.join(root, 'big.txt'), 'x'.repeat(11));
    const error = await failure(call('read', { path: 'big.txt' }, { max_bytes: 10 }));
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('"big.txt"');
    await expect(call('read', { path: 'big.txt' }, { max_bytes: 11 })).resolves.toMatchObject({ bytes: 11 });
  });

  it('follows a symbolic link that stays inside the folder', async () => {
    await fs.symlink(path.join(root, 'docs'), path.join(root, 'alias'));
    await expect(call('read', { path: 'alias/notes.txt' })).resolves.toMatchObject({ content: 'notes' });
  });
});

describe('files connector: no path escapes', () => {
  const spelled = [
    ['../x', "'..'"],
    ['a/../../x', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['a\0b', 'NUL'],
    ['docs\\..\\..\\x', 'backslash'],
  ];

  it.each(spelled)('refuses %j by its spelling, in validation and in the action itself', async (given, reason) => {
    for (const action of ['read', 'write', 'list']) {
      const parsed = filesKind.actions[action]?.input.safeParse({ path: given, content: 'x' });
      expect(parsed?.success).toBe(false);
      expect(parsed?.error?.issues[0]?.message).toContain(reason);
      const error = await failure(callUnchecked(action, { path: given, content: 'x' }));
      expect(error.code).toBe('invalid_input');
      expect(error.message).toContain(JSON.stringify(given));
      expect(error.message).not.toContain(area);
    }
  });

  it('refuses a symbolic link to a file outside, for read and write', async () => {
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'pw'));
    const read = await failure(call('read', { path: 'pw' }));
    expect(read.code).toBe('invalid_input');
    expect(read.message).toContain('symbolic link');
    expect(read.message).not.toContain(area);
    expect((await failure(call('write', { path: 'pw', content: 'overwritten' }))).code).toBe('invalid_input');
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
  });

  it('refuses a symbolic link to a folder outside, for read, list and write', async () => {
    await fs.symlink(outside, path.join(root, 'out'));
    expect((await failure(call('read', { path: 'out/secret.txt' }))).code).toBe('invalid_input');
    expect((await failure(call('list', { path: 'out' }))).code).toBe('invalid_input');
    expect((await failure(call('write', { path: 'out/new/planted.txt', content: 'x' }))).code).toBe('invalid_input');
    expect(await fs.readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a chain of links whose last hop leaves the folder', async () => {
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'b'));
    await fs.symlink(path.join(root, 'b'), path.join(root, 'a'));
    expect((await failure(call('read', { path: 'a' }))).code).toBe('invalid_input');
    await fs.symlink(path.join(root, 'docs', '..', '..', 'outside'), path.join(root, 'docs', 'up'));
    expect((await failure(call('read', { path: 'docs/up/secret.txt' }))).code).toBe('invalid_input');
  });

  it('answers the same for a dangling link as for one leading out', async () => {
    await fs.symlink(path.join(outside, 'missing.txt'), path.join(root, 'dangling'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'leading-out'));
    const dangling = await failure(call('read', { path: 'dangling' }));
    const out = await failure(call('read', { path: 'leading-out' }));
    expect(dangling.message.replace('dangling', 'X')).toBe(out.message.replace('leading-out', 'X'));
  });

  it('works when the configured root is itself reached through a link', async () => {
    const linkedRoot = path.join(area, 'linked-root');
    await fs.symlink(root, linkedRoot);
    const found = filesKind.actions.read;
    if (!found) throw new Error('no read');
    const config = filesKind.config.parse({ root: linkedRoot });
    const out = await found.run({ config, input: found.input.parse({ path: 'docs/notes.txt' }), context });
    expect(out).toMatchObject({ content: 'notes' });
  });
});

describe('files connector: list', () => {
  it('lists one folder, non-recursively, with kinds, sizes and dates', async () => {
    const out = await call('list', { path: 'docs' });
    expect(out.entries).toEqual([
      { name: 'deep', kind: 'folder', bytes: null, modified_at: expect.any(String) },
      { name: 'notes.txt', kind: 'file', bytes: 5, modified_at: expect.any(String) },
      { name: 'readme.md', kind: 'file', bytes: 8, modified_at: expect.any(String) },
    ]);
  });

  it('filters by a simple glob and lists the root by default', async () => {
    const out = await call('list', { path: 'docs', pattern: '*.md' });
    expect((out.entries as { name: string }[]).map((e) => e.name)).toEqual(['readme.md']);
    expect((await call('list', { pattern: 'd?cs' })).entries).toMatchObject([{ name: 'docs', kind: 'folder' }]);
    expect((await call('list', { pattern: '*.(md)' })).entries).toEqual([]);
  });

  it('leaves out links that lead outside and answers not_found for a missing folder', async () => {
    await fs.symlink(outside, path.join(root, 'docs', 'out'));
    await fs.symlink(path.join(root, 'docs', 'notes.txt'), path.join(root, 'docs', 'inside-link'));
    const names = ((await call('list', { path: 'docs' })).entries as { name: string }[]).map((e) => e.name);
    expect(names).toEqual(['deep', 'inside-link', 'notes.txt', 'readme.md']);
    expect((await failure(call('list', { path: 'nope' }))).code).toBe('not_found');
    expect((await failure(call('list', { path: 'docs/notes.txt' }))).code).toBe('invalid_input');
  });
});

describe('files connector: write', () => {
  it('writes atomically, creating parent folders, and answers size and sha256', async () => {
    const out = await call('write', { path: 'kits/2024/welcome.md', content: 'Welcome!' });
    expect(out).toEqual({
      path: 'kits/2024/welcome.md',
      bytes: 8,
      sha256: createHash('sha256').update('Welcome!').digest('hex'),
    });
    expect(await fs.readFile(path.join(root, 'kits', '2024', 'welcome.md'), 'utf8')).toBe('Welcome!');
    expect(await tempFilesUnder(root)).toEqual([]);
  });

  it('leaves the same result when the same write is repeated', async () => {
    const first = await call('write', { path: 'docs/notes.txt', content: 'new notes' });
    const second = await call('write', { path: 'docs/notes.txt', content: 'new notes' });
    expect(second).toEqual(first);
    expect(await fs.readFile(path.join(root, 'docs', 'notes.txt'), 'utf8')).toBe('new notes');
    expect(await tempFilesUnder(root)).toEqual([]);
  });

  it("with if_exists 'fail' refuses other content but accepts a retry of the same bytes", async () => {
    const error = await failure(call('write', { path: 'docs/notes.txt', content: 'other', if_exists: 'fail' }));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('"docs/notes.txt"');
    expect(await fs.readFile(path.join(root, 'docs', 'notes.txt'), 'utf8')).toBe('notes');
    await expect(call('write', { path: 'docs/notes.txt', content: 'notes', if_exists: 'fail' })).resolves.toMatchObject({ bytes: 5 });
    await expect(call('write', { path: 'fresh.txt', content: 'x', if_exists: 'fail' })).resolves.toMatchObject({ bytes: 1 });
    expect(await tempFilesUnder(root)).toEqual([]);
  });

  it('writes base64 content as bytes and refuses malformed base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 250]);
    await call('write', { path: 'bin/data.bin', content: bytes.toString('base64'), encoding: 'base64' });
    expect((await fs.readFile(path.join(root, 'bin', 'data.bin'))).equals(bytes)).toBe(true);
    const parsed = filesKind.actions.write?.input.safeParse({ path: 'x.bin', content: 'not base64!', encoding: 'base64' });
    expect(parsed?.error?.issues[0]?.path).toEqual(['content']);
  });

  it('refuses content larger than max_bytes and writes nothing', async () => {
    const error = await failure(call('write', { path: 'big.txt', content: 'x'.repeat(11) }, { max_bytes: 10 }));
    expect(error.code).toBe('payload_too_large');
    await expect(fs.stat(path.join(root, 'big.txt'))).rejects.toThrow();
    expect(await tempFilesUnder(root)).toEqual([]);
  });

  it('refuses to write over a folder or through a file', async () => {
    expect((await failure(call('write', { path: 'docs', content: 'x' }))).code).toBe('invalid_input');
    expect((await failure(call('write', { path: 'docs/notes.txt/x', content: 'x' }))).code).toBe('invalid_input');
    expect((await failure(call('write', { path: '.', content: 'x' }))).code).toBe('invalid_input');
  });

  it('renders exactly what would be written, without touching the folder', () => {
    const action = filesKind.actions.write;
    if (!action) throw new Error('no write');
    const config = filesKind.config.parse({ root });
    const rendered = action.render(config, action.input.parse({ path: './kits//a.md', content: 'héllo' }));
    expect(rendered).toEqual({ path: 'kits/a.md', bytes: 6, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), if_exists: 'overwrite', content: 'héllo' });
    const binary = action.render(config, action.input.parse({ path: 'a.bin', content: 'AAE=', encoding: 'base64' }));
    expect(binary).toMatchObject({ bytes: 2, content_base64: 'AAE=' });
    expect(action.delivery).toBe('idempotent');
    expect(action.sideEffect).toBe(true);
  });
});
