// The registry as a table: one row per workflow with its live figures; column headers sort.
import type { OverviewWorkflow } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Ago } from '../../components/ui/Time';
import { Health, Risk, StageChips } from '../../components/ui/Badges';
import type { OverviewView, SortDir, SortKey } from './overview-view';

interface Column {
  key: SortKey;
  label: string;
  /** Numbers read best biggest-first, so their first click sorts descending. */
  firstDir: SortDir;
  title?: string;
}

const columns: Column[] = [
  { key: 'title', label: 'Workflow', firstDir: 'asc' },
  { key: 'kind', label: 'Kind', firstDir: 'asc' },
  { key: 'owner', label: 'Owner', firstDir: 'asc' },
  { key: 'team', label: 'Team', firstDir: 'asc' },
  { key: 'stage', label: 'Stages', firstDir: 'desc', title: 'Which version each stage runs' },
  { key: 'risk', label: 'Risk', firstDir: 'desc' },
  { key: 'health', label: 'Health', firstDir: 'desc' },
  { key: 'runs', label: 'Runs today', firstDir: 'desc', title: 'Runs created since midnight UTC, and how many of them failed' },
  { key: 'coverage', label: 'Coverage', firstDir: 'desc', title: 'Runs that ended without a person, last 7 days' },
  { key: 'override', label: 'Override', firstDir: 'desc', title: 'Reviews decided by an edit or a reject, last 7 days' },
  { key: 'queue', label: 'Review queue', firstDir: 'desc', title: 'Review tasks open now' },
  { key: 'oldest', label: 'Oldest waiting', firstDir: 'desc', title: 'Age of the oldest open review task' },
];

export function OverviewTable({ rows, view, onSort }: { rows: OverviewWorkflow[]; view: OverviewView; onSort(key: SortKey, dir: SortDir): void }) {
  return (
    <div className="table-wrap">
      <table className="overview-table">
        <caption className="visually-hidden">Workflows, sorted by {columns.find((c) => c.key === view.sort)?.label.toLowerCase()} {view.dir === 'asc' ? 'ascending' : 'descending'}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = view.sort === c.key;
              const next: SortDir = active ? (view.dir === 'asc' ? 'desc' : 'asc') : c.firstDir;
              return (
                <th key={c.key} scope="col" aria-sort={active ? (view.dir === 'asc' ? 'ascending' : 'descending') : 'none'} title={c.title}>
                  <button type="button" className="link sort" onClick={() => onSort(c.key, next)}>
                    {c.label}
                    <span aria-hidden="true" className="sort-mark">{active ? (view.dir === 'asc' ? '\u00a0▲' : '\u00a0▼') : '\u00a0↕'}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => <OverviewRow key={w.id} w={w} />)}
        </tbody>
      </table>
    </div>
  );
}

/** Breaks only after the @, so an address never splits mid-word in a narrow column. */
function Email({ value }: { value: string }) {
  const at = value.indexOf('@');
  if (at < 0) return <>{value}</>;
  return <>{value.slice(0, at)}<wbr />{value.slice(at)}</>;
}

function pct(value: number | null, none: string) {
  if (value === null) return <span className="muted" title={none}>–</span>;
  return <>{Math.round(value)} %</>;
}

function OverviewRow({ w }: { w: OverviewWorkflow }) {
  return (
    <tr>
      <th scope="row" className="overview-name">
        <Link to={`/workflows/${encodeURIComponent(w.id)}`}>{w.title}</Link>
        <div className="muted small"><code>{w.id}</code></div>
      </th>
      <td data-label="Kind">{w.kind}</td>
      <td data-label="Owner"><Email value={w.owner} /></td>
      <td data-label="Team">{w.team ?? <span className="muted">none</span>}</td>
      <td data-label="Stages"><StageChips entries={w.stages} /></td>
      <td data-label="Risk"><Risk value={w.risk} /></td>
      <td data-label="Health"><Health value={w.health} /></td>
      <td data-label="Runs today" className="num">
        <span className="runs-today">{w.runs_today}</span>
        {w.failed_today > 0 ? <div className="failed-today">{w.failed_today} failed</div> : null}
      </td>
      <td data-label="Coverage" className="num">{pct(w.coverage_pct, 'No run ended in the last 7 days')}</td>
      <td data-label="Override" className="num">{pct(w.override_pct, 'No review decided in the last 7 days')}</td>
      <td data-label="Review queue" className="num">
        {w.queue_open > 0 ? <Link to={`/reviews?workflow=${encodeURIComponent(w.id)}`}>{w.queue_open} open</Link> : <span className="muted">0</span>}
      </td>
      <td data-label="Oldest waiting">{w.queue_oldest_at ? <Ago at={w.queue_oldest_at} /> : <span className="muted">–</span>}</td>
    </tr>
  );
}
