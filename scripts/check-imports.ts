// Checks the import graph of src/ against the layout in DESIGN.md: no file cycles, no cycles between
// top-level folders, slices and leaves reached only through their public file, nothing importing the
// edges (http/, cli/), leaves importing no slice. Run by `npm run lint`; exits 1 with one line per
// violation. The rules are pure functions over paths relative to src/ so tests can feed small graphs.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ImportRef {
  specifier: string;
  line: number;
}

/** One resolved import between two files of src/, both as posix paths relative to src/. */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
  line: number;
}

/** A top-level folder or file of src/: what the layering rules reason about. */
export interface Unit {
  name: string;
  /** 'stray': a top-level file the layout does not name; reported once, its imports left unjudged. */
  kind: 'leaf' | 'slice' | 'edge' | 'stray';
  /** The only file another unit may import; undefined for edges, which nothing imports. */
  entry?: string;
}

// The layout of DESIGN.md. A new leaf or top-level file is a design decision: add it here on purpose.
// diff.ts: the version diff both the registry and the instruction library show (they import each other's data otherwise).
const leafFiles = new Set(['errors.ts', 'logging.ts', 'diff.ts']);
const leafFolders = new Set(['config', 'db', 'contract']);
const edgeFiles = new Set(['app.ts']);
const edgeFolders = new Set(['http', 'cli']);

/** Every module specifier a file names: imports and re-exports (type-only too), dynamic and `import()` types. */
export function readImports(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, literal: ts.Node | undefined): void => {
    if (literal && ts.isStringLiteralLike(literal)) {
      refs.push({ specifier: literal.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/**
 * Resolves a relative specifier the way NodeNext does for our sources (`./x.js` is `./x.ts`).
 * Returns the src-relative target, 'outside' for packages and files outside src/ (not our graph),
 * or 'missing' when nothing matches, which the caller reports rather than silently skipping an edge.
 */
export function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | 'outside' | 'missing' {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return 'outside';
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  if (target.startsWith('../')) return 'outside';
  const candidates = [
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.js$/, '.tsx'),
    target.replace(/\.mjs$/, '.mts'),
    target.replace(/\.cjs$/, '.cts'),
    target,
    `${target}.ts`,
    `${target}/index.ts`,
  ];
  return candidates.find((c) => files.has(c)) ?? 'missing';
}

/** The unit a src-relative path belongs to: every top-level folder is a slice unless named above. */
export function unitOf(path: string): Unit {
  const [top = path] = path.split('/');
  if (top === path) {
    if (leafFiles.has(path)) return { name: path, kind: 'leaf', entry: path };
    return { name: path, kind: edgeFiles.has(path) ? 'edge' : 'stray' };
  }
  if (leafFolders.has(top)) return { name: top, kind: 'leaf', entry: `${top}/index.ts` };
  if (edgeFolders.has(top)) return { name: top, kind: 'edge' };
  return { name: top, kind: 'slice', entry: `${top}/index.ts` };
}

/** Why one import breaks the layering, or undefined when it is allowed. */
export function layeringViolation(edge: ImportEdge): string | undefined {
  const a = unitOf(edge.from);
  const b = unitOf(edge.to);
  // A stray file is reported once by checkGraph; judging its imports too would repeat that line.
  if (a.name === b.name || a.kind === 'stray' || b.kind === 'stray') return undefined;
  if (b.kind === 'edge') {
    // The composition root mounts http; the CLI starts the composition root. Nothing else goes up.
    if (b.name === 'http' && edge.from === 'app.ts') return undefined;
    if (b.name === 'app.ts' && a.name === 'cli') return undefined;
    return `imports the edge ${describe(b)}, which nothing may import`;
  }
  if (a.kind === 'leaf' && b.kind === 'slice') return `is a leaf and imports the slice ${b.name}/ (leaves import only leaves)`;
  if (edge.to !== b.entry) return `reaches into ${describe(b)}; import src/${b.entry} instead`;
  return undefined;
}

function describe(unit: Unit): string {
  return unit.name.endsWith('.ts') ? `src/${unit.name}` : `${unit.name}/`;
}

/** Strongly connected components (Tarjan), each sorted, in a stable order. */
function components(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    result.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return result.sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? ''));
}

/**
 * One shortest cycle per strongly connected component, as a path that ends where it starts.
 * One per component keeps the report short: breaking it shows the next one on the following run.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  for (const component of components(graph)) {
    const start = component[0];
    if (start === undefined) continue;
    const members = new Set(component);
    if (component.length === 1 && !(graph.get(start) ?? []).includes(start)) continue;
    // Breadth-first from the start, staying inside the component, until an edge leads back to it.
    const previous = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    for (let i = 0; i < queue.length && last === undefined; i++) {
      const v: string = queue[i] ?? start;
      for (const w of [...(graph.get(v) ?? [])].sort()) {
        if (w === start) {
          last = v;
          break;
        }
        if (members.has(w) && !previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = last; v !== undefined && v !== start; v = previous.get(v)) path.splice(1, 0, v);
    cycles.push([...path, start]);
  }
  return cycles;
}

function graphOf(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [from, to] of pairs) {
    const targets = graph.get(from) ?? [];
    if (!targets.includes(to)) targets.push(to);
    graph.set(from, targets);
  }
  return graph;
}

/** Every violation of the rules, one line each, in a stable order. */
export function checkGraph(edges: readonly ImportEdge[], files: readonly string[] = []): string[] {
  const lines: string[] = [];
  for (const file of files) {
    if (unitOf(file).kind !== 'stray') continue;
    lines.push(`src/${file}: a top-level file the layout does not name (top-level files: ${[...leafFiles, ...edgeFiles].join(', ')}); ` +
      'move it into a slice folder, or make it a leaf in scripts/check-imports.ts');
  }
  const sorted = [...edges].sort((x, y) => x.from.localeCompare(y.from) || x.line - y.line);
  for (const edge of sorted) {
    const why = layeringViolation(edge);
    if (why) lines.push(`src/${edge.from}:${edge.line}: import '${edge.specifier}' ${why}`);
  }
  for (const cycle of findCycles(graphOf(edges.map((e) => [e.from, e.to])))) {
    lines.push(`import cycle: ${cycle.map((f) => `src/${f}`).join(' -> ')}`);
  }
  const crossing = edges.filter((e) => unitOf(e.from).name !== unitOf(e.to).name);
  const unitPairs = crossing.map((e): [string, string] => [unitOf(e.from).name, unitOf(e.to).name]);
  for (const cycle of findCycles(graphOf(unitPairs))) {
    // Name one import per hop so the cycle can be broken without searching for it.
    const hops = cycle.slice(1).map((to, i) => {
      const from = cycle[i];
      const e = sorted.find((x) => unitOf(x.from).name === from && unitOf(x.to).name === to);
      return e ? `src/${e.from}:${e.line} imports '${e.specifier}'` : `${from} -> ${to}`;
    });
    lines.push(`folder cycle: ${cycle.join(' -> ')} (${hops.join('; ')})`);
  }
  return lines;
}

/** Reads src/ from disk: every source file's imports, resolved; unresolved relative imports are violations too. */
export function scanSources(srcDir: string): { files: string[]; edges: ImportEdge[]; unresolved: string[] } {
  const all = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(srcDir, join(d.parentPath, d.name)).split(sep).join('/'))
    .sort();
  const known = new Set(all);
  const files = all.filter((f) => /\.[cm]?tsx?$/.test(f));
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    for (const ref of readImports(from, readFileSync(join(srcDir, from), 'utf8'))) {
      const to = resolveImport(from, ref.specifier, known);
      if (to === 'missing') unresolved.push(`src/${from}:${ref.line}: import '${ref.specifier}' does not resolve to a file`);
      // Non-TypeScript targets (JSON, SQL) carry no imports of their own, so they add no edges.
      else if (to !== 'outside' && /\.[cm]?tsx?$/.test(to)) edges.push({ from, to, specifier: ref.specifier, line: ref.line });
    }
  }
  return { files, edges, unresolved };
}

function main(): void {
  const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const { files, edges, unresolved } = scanSources(srcDir);
  const violations = [...unresolved, ...checkGraph(edges, files)];
  if (violations.length === 0) {
    console.log(`imports: ${files.length} files, no cycles, layering ok`);
    return;
  }
  for (const line of violations) console.error(line);
  console.error(`imports: ${violations.length} violation(s) in ${files.length} files; see the Layout section of DESIGN.md`);
  process.exitCode = 1;
}

// Run only as a script, so the test can import the rules without scanning the repository.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
