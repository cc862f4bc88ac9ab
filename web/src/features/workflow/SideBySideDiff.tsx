// Two versions side by side: for every changed field of the definition, what it was (left) and what
// it is (right). Multi-line text arrives from the server as a unified line diff; its removed and
// added runs are paired up row by row so the two columns line up.
import type { VersionDiff } from '../../lib/api-types';

type Change = VersionDiff['changes'][number];
interface Cell { text: string; mark: 'add' | 'del' | 'same' | 'empty' }
type Row = [Cell, Cell] | 'gap';

function show(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Pairs a unified diff's '-' and '+' runs into rows; context lines appear on both sides. */
export function sideBySide(lines: readonly string[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!;
    if (line === '@@') {
      rows.push('gap');
      i++;
    } else if (line.startsWith(' ')) {
      rows.push([{ text: line.slice(1), mark: 'same' }, { text: line.slice(1), mark: 'same' }]);
      i++;
    } else {
      const dels: string[] = [];
      const adds: string[] = [];
      for (; i < lines.length && (lines[i]!.startsWith('-') || lines[i]!.startsWith('+')); i++) (lines[i]!.startsWith('-') ? dels : adds).push(lines[i]!.slice(1));
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
        rows.push([
          k < dels.length ? { text: dels[k]!, mark: 'del' } : { text: '', mark: 'empty' },
          k < adds.length ? { text: adds[k]!, mark: 'add' } : { text: '', mark: 'empty' },
        ]);
      }
    }
  }
  return rows;
}

function rowsOf(change: Change): Row[] {
  if (change.lines) return sideBySide(change.lines);
  const before: Cell = change.change === 'added' ? { text: '', mark: 'empty' } : { text: show(change.before), mark: 'del' };
  const after: Cell = change.change === 'removed' ? { text: '', mark: 'empty' } : { text: show(change.after), mark: 'add' };
  return [[before, after]];
}

const spoken = { add: 'added: ', del: 'removed: ', same: '', empty: '' };

function DiffCell({ cell }: { cell: Cell }) {
  return (
    <td className={cell.mark}>
      {cell.mark === 'add' || cell.mark === 'del' ? <span className="visually-hidden">{spoken[cell.mark]}</span> : null}
      {cell.text}
    </td>
  );
}

export function SideBySideDiff({ diff, fromLabel, toLabel }: { diff: VersionDiff; fromLabel: string; toLabel: string }) {
  if (diff.changes.length === 0) return <p className="muted">No difference in the definition: the two versions do the same thing.</p>;
  return (
    <div className="table-wrap">
      <table className="diff side-by-side">
        <caption className="muted small">{diff.changes.length} field{diff.changes.length === 1 ? '' : 's'} changed from {fromLabel} to {toLabel}</caption>
        <colgroup><col className="diff-col" /><col className="diff-col" /></colgroup>
        <thead><tr><th scope="col">{fromLabel} (from)</th><th scope="col">{toLabel} (to)</th></tr></thead>
        {diff.changes.map((c) => (
          <tbody key={c.path}>
            <tr className="diff-path"><th scope="colgroup" colSpan={2}><code>{c.path}</code> <span className="muted">{c.change}</span></th></tr>
            {rowsOf(c).map((row, i) => row === 'gap'
              ? <tr key={i} className="diff-gap"><td colSpan={2} aria-label="unchanged lines skipped">⋯</td></tr>
              : <tr key={i}><DiffCell cell={row[0]} /><DiffCell cell={row[1]} /></tr>)}
          </tbody>
        ))}
      </table>
    </div>
  );
}
