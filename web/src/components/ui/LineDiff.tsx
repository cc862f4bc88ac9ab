// A line diff of two texts, as a reviewer reads a change: removed lines, added lines, and a little
// unchanged context around them; long unchanged stretches fold into one "N unchanged lines" row so
// the change itself stays on screen. Plain LCS: the texts here are JSON documents of a few hundred
// lines at most, and a dependency for this would weigh more than the code.

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** The lines of `before` and `after` in order, each kept, removed or added (longest common subsequence). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common head and tail first: most edits change a few lines in the middle of a long document.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const n = midA.length;
  const m = midB.length;
  // lcs[i][j]: length of the common subsequence of midA[i..] and midB[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ op: ' ', text }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      out.push({ op: ' ', text: midA[i]! });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ op: '+', text: midB[j++]! });
    } else {
      out.push({ op: '-', text: midA[i++]! });
    }
  }
  for (const text of a.slice(a.length - tail)) out.push({ op: ' ', text });
  return regroup(out);
}

/** Removed lines before added ones within a changed block, the way people read a replacement. */
function regroup(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    out.push(...removed, ...added);
    removed = [];
    added = [];
  };
  for (const l of lines) {
    if (l.op === '-') removed.push(l);
    else if (l.op === '+') added.push(l);
    else {
      flush();
      out.push(l);
    }
  }
  flush();
  return out;
}

type Row = DiffLine | { op: 'gap'; count: number };

/** Keeps `context` unchanged lines around each change; the rest become gap rows. */
function withContext(lines: DiffLine[], context: number): Row[] {
  const near = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) near[k] = true;
  });
  const rows: Row[] = [];
  let hidden = 0;
  lines.forEach((l, i) => {
    if (near[i]) {
      if (hidden > 0) rows.push({ op: 'gap', count: hidden });
      hidden = 0;
      rows.push(l);
    } else hidden++;
  });
  if (hidden > 0) rows.push({ op: 'gap', count: hidden });
  return rows;
}

export function LineDiff({ before, after, label, context = 2 }: { before: string; after: string; label: string; context?: number }) {
  const lines = lineDiff(before, after);
  const changed = lines.filter((l) => l.op !== ' ');
  if (changed.length === 0) return <p className="muted">{label}: no change.</p>;
  const added = changed.filter((l) => l.op === '+').length;
  return (
    <figure className="line-diff">
      <figcaption>
        {label}: <span className="diff-count">{changed.length - added} removed, {added} added</span>
      </figcaption>
      <pre className="diff" tabIndex={0} aria-label={label}>
        {withContext(lines, context).map((r, i) =>
          r.op === 'gap' ? (
            <span key={i} className="gap">{`  … ${r.count} unchanged line${r.count === 1 ? '' : 's'}\n`}</span>
          ) : (
            <span key={i} className={r.op === '+' ? 'add' : r.op === '-' ? 'del' : undefined}>
              {/* The sign is text, not only colour, so the change reads without it. */}
              {`${r.op} ${r.text}\n`}
            </span>
          ),
        )}
      </pre>
    </figure>
  );
}
