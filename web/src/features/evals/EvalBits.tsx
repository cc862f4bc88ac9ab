// Pieces every eval page shows: an eval run's status word, its done/total bar, and whether its
// pass rate meets the threshold (the interval's lower bound, as the promotion gate reads it); and
// the pager of a long table of cases.
import type { EvalRun } from '../../lib/api-types';
import { evalTone, rate } from './eval-format';

export function EvalStatus({ run }: { run: EvalRun }) {
  return <span className={`status status-${evalTone(run.status)}`}>{run.status}</span>;
}

export function EvalProgress({ run, label }: { run: EvalRun; label: string }) {
  return (
    <div className="ev-progress">
      <span>{run.done} of {run.total} cases scored{run.total > 0 ? ` (${Math.floor((run.done / run.total) * 100)} %)` : ''}</span>
      <progress aria-label={label} max={Math.max(run.total, 1)} value={run.done} />
    </div>
  );
}

export function Meets({ run }: { run: EvalRun }) {
  if (!run.summary) return <span className="muted">–</span>;
  return run.summary.meetsThreshold
    ? <span className="status status-good" title={`The 95 % interval's lower bound reaches ${rate(run.threshold)}`}>meets threshold</span>
    : <span className="status status-bad" title={`The 95 % interval's lower bound is below ${rate(run.threshold)}`}>below threshold</span>;
}

/** Previous and next page of a table that shows `shown` rows from `first` of `total`. */
export function Pager({ first, shown, total, page, onPage }: { first: number; shown: number; total: number; page: number; onPage(page: number): void }) {
  if (total <= shown && page === 0) return null;
  return (
    <div className="actions ev-pager">
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>Previous page</button>
      <span className="muted small" role="status">{first + 1}–{first + shown} of {total}</span>
      <button type="button" disabled={first + shown >= total} onClick={() => onPage(page + 1)}>Next page</button>
    </div>
  );
}
