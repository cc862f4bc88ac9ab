// The `files` connector kind: read, list and write inside one configured folder, and nowhere else.
// A path is relative to the root and is checked twice: by its spelling (no absolute paths, `..`,
// NUL or backslashes), and by where it really leads: every call walks the existing part of the
// path, resolves each symbolic link it meets and refuses any whose real target is outside the
// root's real path, so a link planted inside the folder cannot lead a workflow to /etc or to
// another connector's folder. Errors name the path as the workflow gave it, never the absolute one.

import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KeelError } from '../../errors.js';
import { defineAction, type ConnectorKind } from './kind.js';

const mebibyte = 1024 * 1024;
// Temp files of writes in progress start with this, so `list` can hide half-written files.
const tempPrefix = '.keel-tmp-';

export const filesConfigSchema = z.strictObject({
  /** The folder every path is relative to (absolute). Links inside it may not lead out of it. */
  root: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute folder path'),
  /** The largest file read or written, in bytes; default 10 MiB. */
  max_bytes: z.number().int().positive().default(10 * mebibyte),
});
export type FilesConfig = z.infer<typeof filesConfigSchema>;

const quote = (text: string): string => JSON.stringify(text);

/** What is wrong with the spelling of a relative path, or undefined. */
function spellingProblem(given: string): string | undefined {
  if (given.includes('\0')) return 'contains a NUL byte';
  if (given.includes('\\')) return 'contains a backslash; separate folders with /';
  if (given.startsWith('/')) return "is absolute; give a path relative to the connector's folder";
  if (given.split('/').includes('..')) return "has a '..' segment; paths stay inside the connector's folder";
  return undefined;
}

const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((given, ctx) => {
    const problem = spellingProblem(given);
    if (problem) ctx.addIssue({ code: 'custom', message: `${quote(given)} ${problem}` });
  });

const segments = (given: string): string[] => given.split('/').filter((s) => s !== '' && s !== '.');
/** The path as shown back: normalised, still relative. */
const shown = (given: string): string => segments(given).join('/') || '.';

function invalid(given: string, problem: string, hint?: string): KeelError {
  return new KeelError('invalid_input', `files: path ${quote(given)} ${problem}`, {
    hint,
    problems: [{ path: 'path', message: problem }],
  });
}

// The fs error's own message holds the absolute path, so only its errno code is passed on.
function fsFailure(given: string, doing: string, error: unknown): KeelError {
  const code = errnoCode(error) ?? 'unknown error';
  const lasting = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
  return new KeelError('action_failed', `files: could not ${doing} ${quote(given)} (${code})`, { retriable: !lasting });
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function tooLarge(given: string, bytes: number | undefined, config: FilesConfig): KeelError {
  const size = bytes === undefined ? 'larger than' : `${bytes} bytes, more than`;
  return new KeelError('payload_too_large', `files: ${quote(given)} is ${size} this connector's limit of ${config.max_bytes} bytes`, {
    hint: 'raise max_bytes in the connector config, or split the content',
    retriable: false,
  });
}

function exists(given: string): KeelError {
  return new KeelError('conflict', `files: ${quote(given)} already exists with other content and if_exists is 'fail'`, {
    hint: "choose another path, or write with if_exists: 'overwrite'",
    retriable: false,
  });
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

async function realRoot(config: FilesConfig): Promise<string> {
  try {
    const real = await fs.realpath(config.root);
    if ((await fs.stat(real)).isDirectory()) return real;
  } catch {
    // reported below, the same way as a root that is a file
  }
  throw new KeelError('misconfigured', `files: the connector's root ${config.root} is not an existing folder`, {
    hint: 'create the folder or correct root in the connector config',
  });
}

interface Resolved {
  /** The real absolute path (existing part resolved, the rest appended). */
  real: string;
  exists: boolean;
}

/** Resolves a relative path inside the real root, refusing any route that leaves it. */
async function resolveInside(root: string, given: string): Promise<Resolved> {
  const problem = spellingProblem(given);
  if (problem) throw invalid(given, problem);
  const parts = segments(given);
  let current = root;
  for (const [index, part] of parts.entries()) {
    const next = path.join(current, part);
    let stat: Stats;
    try {
      stat = await fs.lstat(next);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return { real: path.join(next, ...parts.slice(index + 1)), exists: false };
      if (code === 'ENOTDIR') throw invalid(given, `goes through ${quote(parts.slice(0, index).join('/'))}, which is not a folder`);
      throw fsFailure(given, 'look up', error);
    }
    if (stat.isSymbolicLink()) {
      // A dangling link and one leading out get the same answer: telling them apart would reveal
      // whether a path outside the folder exists.
      const target = await fs.realpath(next).catch(() => undefined);
      if (target === undefined || !isInside(root, target)) {
        throw invalid(given, "goes through a symbolic link that does not lead to a place inside the connector's folder");
      }
      current = target;
    } else {
      current = next;
    }
  }
  return { real: current, exists: true };
}

/** Reads at most `limit` bytes; undefined when the file holds more (it may have grown since stat). */
async function readAtMost(handle: fs.FileHandle, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    total += bytesRead;
    if (total > limit) return undefined;
    chunks.push(chunk.subarray(0, bytesRead));
  }
}

const encodingSchema = z.enum(['utf8', 'base64']).default('utf8');

const readInput = z.strictObject({ path: relativePath, encoding: encodingSchema });
type ReadInput = z.infer<typeof readInput>;

const listInput = z.strictObject({
  /** The folder to list; default the root. */
  path: relativePath.optional(),
  /** `*` matches any run of characters, `?` one; matched against names, not paths. */
  pattern: z
    .string()
    .min(1)
    .max(200)
    .refine((p) => !p.includes('/') && !p.includes('\0'), 'matches names within one folder: no / or NUL')
    .optional(),
});
type ListInput = z.infer<typeof listInput>;

const writeInput = z
  .strictObject({
    path: relativePath,
    content: z.string(),
    encoding: encodingSchema,
    if_exists: z.enum(['overwrite', 'fail']).default('overwrite'),
  })
  .superRefine((input, ctx) => {
    if (input.encoding === 'base64' && !isBase64(input.content)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'is not valid base64 (A-Z a-z 0-9 + /, padded with =, no spaces)' });
    }
  });
type WriteInput = z.infer<typeof writeInput>;

// Buffer.from(…, 'base64') skips what it does not understand, so bad input is refused up front.
const isBase64 = (text: string): boolean => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
const contentBytes = (input: WriteInput): Buffer => Buffer.from(input.content, input.encoding === 'base64' ? 'base64' : 'utf8');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function globMatcher(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (name) => regex.test(name);
}

/** Whether an existing file already holds exactly these bytes (a retry of our own write). */
async function holds(file: string, data: Buffer): Promise<boolean> {
  const current = await fs.readFile(file).catch(() => undefined);
  return current !== undefined && current.equals(data);
}

async function writeTemp(temp: string, data: Buffer, mode: number | undefined): Promise<void> {
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
  try {
    await handle.writeFile(data);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function write(config: FilesConfig, input: WriteInput): Promise<unknown> {
  const data = contentBytes(input);
  if (data.length > config.max_bytes) throw tooLarge(input.path, data.length, config);
  const root = await realRoot(config);
  const target = await resolveInside(root, input.path);
  if (target.real === root) throw invalid(input.path, "names the connector's folder itself, not a file");
  const answer = { path: shown(input.path), bytes: data.length, sha256: sha256(data) };
  let existing: Stats | undefined;
  if (target.exists) {
    existing = await fs.stat(target.real);
    if (!existing.isFile()) throw invalid(input.path, 'exists and is not a regular file');
    if (input.if_exists === 'fail') {
      // The same bytes already there is the outcome a retry of our own write would find: success.
      if (await holds(target.real, data)) return answer;
      throw exists(input.path);
    }
  }
  const folder = path.dirname(target.real);
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw fsFailure(input.path, 'create the folders of', error);
  }
  // Checked again after mkdir: a folder swapped for a link since the walk must not be written through.
  const realFolder = await fs.realpath(folder);
  if (!isInside(root, realFolder)) throw invalid(input.path, "does not lead to a place inside the connector's folder");
  const final = path.join(realFolder, path.basename(target.real));
  const temp = path.join(realFolder, `${tempPrefix}${randomBytes(8).toString('hex')}`);
  try {
    // A temp file in the same folder, then one rename: readers see the old file or the new, never half.
    await writeTemp(temp, data, existing ? existing.mode & 0o7777 : undefined);
    if (input.if_exists === 'overwrite') {
      await fs.rename(temp, final);
    } else {
      // link() refuses an existing name atomically, so a file created since the check is not clobbered.
      await fs.link(temp, final).catch(async (error: unknown) => {
        if (errnoCode(error) === 'EEXIST' && (await holds(final, data))) return;
        throw errnoCode(error) === 'EEXIST' ? exists(input.path) : error;
      });
    }
  } catch (error) {
    throw error instanceof KeelError ? error : fsFailure(input.path, 'write', error);
  } finally {
    await fs.rm(temp, { force: true });
  }
  // The rename itself is durable only once the folder's entry is on disk.
  const dir = await fs.open(realFolder, constants.O_RDONLY);
  await dir.sync().finally(() => dir.close());
  return answer;
}

async function read(config: FilesConfig, input: ReadInput): Promise<unknown> {
  const root = await realRoot(config);
  const target = await resolveInside(root, input.path);
  if (!target.exists) throw new KeelError('not_found', `files: ${quote(input.path)} does not exist`, { retriable: false });
  // O_NOFOLLOW: the walk found no link at the end; if one was put there since, refuse, not follow.
  const handle = await fs.open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: unknown) => {
    throw fsFailure(input.path, 'open', error);
  });
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw invalid(input.path, 'is a folder', 'use the list action for folders');
    if (!stat.isFile()) throw invalid(input.path, 'is not a regular file');
    if (stat.size > config.max_bytes) throw tooLarge(input.path, stat.size, config);
    const data = await readAtMost(handle, config.max_bytes);
    if (data === undefined) throw tooLarge(input.path, undefined, config);
    let content: string;
    if (input.encoding === 'base64') content = data.toString('base64');
    else {
      try {
        content = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
      } catch {
        throw invalid(input.path, 'is not UTF-8 text', "read it with encoding: 'base64'");
      }
    }
    return { path: shown(input.path), encoding: input.encoding, content, bytes: data.length, modified_at: stat.mtime.toISOString() };
  } finally {
    await handle.close();
  }
}

async function list(config: FilesConfig, input: ListInput): Promise<unknown> {
  const given = input.path ?? '.';
  const root = await realRoot(config);
  const target = await resolveInside(root, given);
  if (!target.exists) throw new KeelError('not_found', `files: folder ${quote(given)} does not exist`, { retriable: false });
  if (!(await fs.stat(target.real)).isDirectory()) throw invalid(given, 'is a file, not a folder', 'use the read action for files');
  const matches = globMatcher(input.pattern);
  const names = (await fs.readdir(target.real)).filter((name) => matches(name) && !name.startsWith(tempPrefix)).sort();
  const entries: { name: string; kind: 'file' | 'folder'; bytes: number | null; modified_at: string }[] = [];
  for (const name of names) {
    const full = path.join(target.real, name);
    let stat = await fs.lstat(full).catch(() => undefined);
    if (stat?.isSymbolicLink()) {
      // A link is listed as what it leads to, and only if read could follow it: no size or date of
      // anything outside the folder is ever shown.
      const real = await fs.realpath(full).catch(() => undefined);
      stat = real !== undefined && isInside(root, real) ? await fs.stat(real).catch(() => undefined) : undefined;
    }
    if (stat === undefined || !(stat.isFile() || stat.isDirectory())) continue;
    const folder = stat.isDirectory();
    entries.push({ name, kind: folder ? 'folder' : 'file', bytes: folder ? null : stat.size, modified_at: stat.mtime.toISOString() });
  }
  return { path: shown(given), entries };
}

export const filesKind: ConnectorKind<FilesConfig> = {
  kind: 'files',
  description: 'Reads, lists and writes files inside one configured folder; no path leads out of it.',
  config: filesConfigSchema,
  secretNames: () => [],
  // A file names a project folder (root: examples/welcome-kits), never one relative to where Keel
  // was started; through the API a root stays absolute.
  fromProjectFile(config, projectDir) {
    const root = config.root;
    return typeof root === 'string' && root !== '' && !path.isAbsolute(root) ? { ...config, root: path.resolve(projectDir, root) } : config;
  },
  actions: {
    read: defineAction<FilesConfig, ReadInput>({
      scope: 'files:read',
      delivery: 'idempotent',
      sideEffect: false,
      input: readInput,
      render: (_config, input) => ({ path: shown(input.path), encoding: input.encoding }),
      run: ({ config, input }) => read(config, input),
    }),
    list: defineAction<FilesConfig, ListInput>({
      scope: 'files:read',
      delivery: 'idempotent',
      sideEffect: false,
      input: listInput,
      render: (_config, input) => ({ path: shown(input.path ?? '.'), pattern: input.pattern ?? null }),
      run: ({ config, input }) => list(config, input),
    }),
    write: defineAction<FilesConfig, WriteInput>({
      scope: 'files:write',
      // The whole content replaces the file atomically, so writing it again after a crash leaves
      // the same file; with if_exists 'fail', finding our exact bytes already there counts as done.
      delivery: 'idempotent',
      sideEffect: true,
      input: writeInput,
      render(_config, input) {
        const data = contentBytes(input);
        const content = input.encoding === 'base64' ? { content_base64: input.content } : { content: input.content };
        return { path: shown(input.path), bytes: data.length, sha256: sha256(data), if_exists: input.if_exists, ...content };
      },
      run: ({ config, input }) => write(config, input),
    }),
  },
};
