import { describe, expect, it } from 'vitest';
import { checkGraph, findCycles, readImports, resolveImport, type ImportEdge } from './check-imports.js';

function edge(from: string, to: string, specifier = to, line = 1): ImportEdge {
  return { from, to, specifier, line };
}

function graph(pairs: Record<string, string[]>): Map<string, string[]> {
  return new Map(Object.entries(pairs));
}

describe('findCycles', () => {
  it('finds nothing in an acyclic graph', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('reports a cycle as a path that returns to its start', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('reports a file that imports itself', () => {
    expect(findCycles(graph({ a: ['a'] }))).toEqual([['a', 'a']]);
  });

  it('reports one shortest cycle per strongly connected component', () => {
    const cycles = findCycles(graph({ a: ['b', 'c'], b: ['a'], c: ['d'], d: ['c'] }));
    expect(cycles).toEqual([['a', 'b', 'a'], ['c', 'd', 'c']]);
  });
});

describe('checkGraph', () => {
  it('accepts slices that import each other and the leaves through their public files', () => {
    const edges = [
      edge('engine/run.ts', 'registry/index.ts'),
      edge('engine/run.ts', 'errors.ts'),
      edge('engine/run.ts', 'db/index.ts'),
      edge('engine/run.ts', 'engine/steps/model.ts'),
      edge('db/index.ts', 'config/index.ts'),
      edge('app.ts', 'http/app.ts'),
      edge('app.ts', 'engine/index.ts'),
      edge('cli/main.ts', 'app.ts'),
    ];
    expect(checkGraph(edges)).toEqual([]);
  });

  it('rejects a slice reaching into another slice past its index.ts', () => {
    const lines = checkGraph([edge('engine/run.ts', 'review/store.ts', '../review/store.js', 4)]);
    expect(lines).toEqual([
      "src/engine/run.ts:4: import '../review/store.js' reaches into review/; import src/review/index.ts instead",
    ]);
  });

  it('rejects reaching into a leaf folder past its index.ts', () => {
    expect(checkGraph([edge('engine/run.ts', 'db/pglite.ts')])[0]).toContain('reaches into db/');
  });

  it('rejects importing http/ or cli/ from anywhere but the composition root', () => {
    const lines = checkGraph([
      edge('registry/routes.ts', 'http/errors.ts'),
      edge('app.ts', 'cli/main.ts'),
      edge('engine/engine.ts', 'app.ts'),
    ]);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.includes('which nothing may import'))).toBe(true);
  });

  it('rejects a leaf importing a slice', () => {
    expect(checkGraph([edge('config/load.ts', 'spec/index.ts')])[0]).toContain('is a leaf and imports the slice spec/');
  });

  it('reports a top-level file the layout does not name, once', () => {
    const lines = checkGraph([edge('app.ts', 'stray.ts'), edge('stray.ts', 'engine/run.ts')], ['app.ts', 'stray.ts']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^src\/stray\.ts: a top-level file the layout does not name/);
  });

  it('reports file cycles and folder cycles with the import behind each hop', () => {
    const lines = checkGraph([
      edge('engine/index.ts', 'engine/sweeper.ts'),
      edge('engine/sweeper.ts', 'review/index.ts', '../review/index.js', 2),
      edge('review/index.ts', 'review/store.ts'),
      edge('review/store.ts', 'engine/index.ts', '../engine/index.js', 7),
    ]);
    expect(lines).toEqual([
      'import cycle: src/engine/index.ts -> src/engine/sweeper.ts -> src/review/index.ts -> src/review/store.ts -> src/engine/index.ts',
      "folder cycle: engine -> review -> engine (src/engine/sweeper.ts:2 imports '../review/index.js'; src/review/store.ts:7 imports '../engine/index.js')",
    ]);
  });

  it('reports a folder cycle even when no file cycle exists', () => {
    const lines = checkGraph([edge('engine/a.ts', 'review/index.ts'), edge('review/b.ts', 'engine/index.ts')]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^folder cycle: engine -> review -> engine/);
  });
});

describe('readImports and resolveImport', () => {
  it('reads type-only imports, re-exports, dynamic imports and import() types', () => {
    const text = [
      "import type { A } from './a.js';",
      "export { b } from './b.js';",
      "export * from './c.js';",
      "const d = await import('./d.js');",
      "let e: import('./e.js').E;",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(readImports('x.ts', text).map((r) => `${r.line}:${r.specifier}`)).toEqual([
      '1:./a.js', '2:./b.js', '3:./c.js', '4:./d.js', '5:./e.js', '6:node:fs',
    ]);
  });

  it('maps .js specifiers to .ts sources and leaves packages and outside files alone', () => {
    const files = new Set(['engine/run.ts', 'review/index.ts', 'db/migrations/0001_core.sql']);
    expect(resolveImport('engine/run.ts', '../review/index.js', files)).toBe('review/index.ts');
    expect(resolveImport('engine/run.ts', '../review/store.js', files)).toBe('missing');
    expect(resolveImport('engine/run.ts', 'zod', files)).toBe('outside');
    expect(resolveImport('db/db.test.ts', '../../test/support/databases.js', files)).toBe('outside');
  });
});
