// Loading the library folder at start: good files deploy, a file with any problem is reported and
// skipped whole, a missing folder is an empty library; concurrent deploys number versions in turn.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { deployLibraryEntry, listLibrary, loadLibraryFolder } from '../../src/prompts/index.js';
import { testDatabases } from '../support/databases.js';

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> });
  return { lines, logger: { info: at('info'), warn: at('warn') } as never };
}

describe.each(testDatabases())('the library folder on $name', (database) => {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    db = await database.open();
    dir = await mkdtemp(join(tmpdir(), 'keel-library-'));
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, text: string) => {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  };

  it('deploys every good file with the label, skips and reports each bad one, and ignores READMEs', async () => {
    await write('README.md', '# How this folder works\n');
    await write('support/reply.md', '---\nname: support/reply\ndescription: d\nreferences: [faq/hours]\n---\nHi {{ name }}\n');
    await write('faq/hours.yml', 'kind: document\nname: faq/hours\ntitle: Hours\ntype: faq\nbody: 8 to 20\n');
    await write('faq/broken.yaml', 'kind: document\nname: faq/broken\ntitle: Broken\ntype: memo\nbody: x\n');
    await write('twice/a.yaml', 'name: same/name\ndescription: a\ntemplate: a\n');
    await write('twice/b.yaml', 'name: same/name\ndescription: b\ntemplate: b\n');
    await write('notes.txt', 'not a library file');
    const { lines, logger } = recordingLogger();
    const report = await loadLibraryFolder(db, dir, { label: 'production', actor: 'keel:startup', logger });
    expect(report.deployed.map((d) => [d.name, d.number, d.versionCreated, d.labelChanged])).toEqual([
      ['faq/hours', 1, true, true], ['support/reply', 1, true, true],
    ]);
    expect(report.skipped.map((s) => [s.file.slice(dir.length + 1), s.problems[0]!.message])).toEqual([
      ['faq/broken.yaml', expect.stringContaining('must be one of policy, definition, faq, other')],
      ['twice/a.yaml', expect.stringContaining('same/name is also the name in')],
      ['twice/b.yaml', expect.stringContaining('same/name is also the name in')],
    ]);
    expect(report.skipped[0]!.problems[0]!.path).toBe(`${dir}/faq/broken.yaml:4:7 type`);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(Array(3).fill('library file skipped: it has problems'));
    expect((await listLibrary(db)).map((e) => e.name)).toEqual(['faq/hours', 'support/reply']);

    // A second start with nothing changed stores nothing and logs no change.
    const again = recordingLogger();
    const second = await loadLibraryFolder(db, dir, { label: 'production', actor: 'keel:startup', logger: again.logger });
    expect(second.deployed.every((d) => !d.versionCreated && !d.labelChanged)).toBe(true);
    expect(again.lines.filter((l) => l.level === 'info')).toEqual([]);
  });

  it('takes a missing folder as an empty library', async () => {
    const { lines, logger } = recordingLogger();
    expect(await loadLibraryFolder(db, join(dir, 'nowhere'), { label: 'production', actor: 'keel:startup', logger })).toEqual({ deployed: [], skipped: [] });
    expect(lines).toEqual([{ level: 'info', msg: 'no instruction library folder; the library starts empty', obj: { dir: join(dir, 'nowhere') } }]);
  });

  it('numbers versions in turn when deploys race', async () => {
    const file = (n: number) => `name: race/prompt\ndescription: d\ntemplate: "v${n}"\n`;
    const same = await Promise.all([1, 2, 3].map(() => deployLibraryEntry(db, { source: file(0), sourceName: 'r.yaml', actor: 'a', label: 'production' })));
    expect(new Set(same.map((r) => r.version.id)).size).toBe(1);
    expect(same.filter((r) => r.versionCreated)).toHaveLength(1);
    const different = await Promise.all([1, 2, 3].map((n) => deployLibraryEntry(db, { source: file(n), sourceName: 'r.yaml', actor: 'a' })));
    expect(different.map((r) => r.version.number).sort()).toEqual([2, 3, 4]);
  });
});
