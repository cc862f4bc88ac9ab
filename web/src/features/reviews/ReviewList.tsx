// The queue as a table: one row per open task, the selected one highlighted. Each row's title is a
// link (so Tab and Enter work as well as j/k); the order and the workflow live in the URL.
import type { Review, Workflow } from '../../lib/api-types';
import { describeError } from '../../lib/api';
import { Link, setQuery } from '../../lib/router';
import { Status } from '../../components/ui/Status';
import { Ago, Countdown } from '../../components/ui/Time';
import { priorityName, reasonsOf, who } from './model';
import type { QueueFilters } from './useQueue';

export function QueueFiltersBar({ filters, workflows, count }: { filters: QueueFilters; workflows: Map<string, Workflow>; count: number | undefined }) {
  const ids = [...new Set([...workflows.keys(), ...(filters.workflow ? [filters.workflow] : [])])].sort();
  return (
    <form className="filters" aria-label="Queue filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        Order
        <select value={filters.order} onChange={(e) => setQuery({ order: e.target.value === 'urgent' ? 'urgent' : undefined })}>
          <option value="oldest">Oldest first</option>
          <option value="urgent">Most urgent first</option>
        </select>
      </label>
      <label>
        Workflow
        <select value={filters.workflow ?? ''} onChange={(e) => setQuery({ workflow: e.target.value || undefined })}>
          <option value="">All workflows</option>
          {ids.map((id) => <option key={id} value={id}>{workflows.get(id)?.title ?? id}</option>)}
        </select>
      </label>
      <label>
        Tasks
        <select value={filters.scope} onChange={(e) => setQuery({ scope: e.target.value === 'all' ? 'all' : undefined })}>
          <option value="mine">For my roles</option>
          <option value="all">Everything I can see</option>
        </select>
      </label>
      <span className="muted rq-count" role="status">{count === undefined ? '' : `${count} open task${count === 1 ? '' : 's'}`}</span>
    </form>
  );
}

export function ReviewList({ reviews, error, selected, workflows, me, hrefOf }: {
  reviews: Review[] | undefined;
  error: unknown;
  selected?: string;
  workflows: Map<string, Workflow>;
  me: string;
  hrefOf(id: string): string;
}) {
  if (!reviews) return error ? <p className="error" role="alert">The queue did not load: {describeError(error)}</p> : <p className="muted" role="status">Loading the queue…</p>;
  return (
    <>
      {error ? <p className="error" role="alert">The queue did not refresh: {describeError(error)}</p> : null}
      {reviews.length === 0 ? (
        <p className="ok" role="status">Nothing waits for you here. New tasks appear by themselves.</p>
      ) : (
        <div className="table-wrap">
          <table className="rq-table" aria-label="Open review tasks">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Why</th>
                <th scope="col">Priority · risk</th>
                <th scope="col">State</th>
                <th scope="col">Age · SLA</th>
              </tr>
            </thead>
            <tbody>
              {reviews.map((r) => {
                const here = r.id === selected;
                const wf = workflows.get(r.workflow_id);
                return (
                  <tr key={r.id} className={here ? 'selected' : undefined} data-review={r.id}>
                    <td>
                      <Link to={hrefOf(r.id)} aria-current={here ? 'true' : undefined} className="rq-title">{r.title ?? r.step_id ?? r.id}</Link>
                      <div className="muted rq-sub">{wf?.title ?? r.workflow_id}{r.step_id ? ` · ${r.step_id}` : ''}{r.stage && r.stage !== 'production' ? ` · ${r.stage}` : ''}</div>
                    </td>
                    <td>{reasonsOf(r).map((x) => <div key={x}>{x}</div>)}</td>
                    <td>
                      <span className={`rq-priority rq-p${r.priority}`}>{priorityName(r.priority)}</span>
                      {wf ? <> <Status value={wf.risk} /></> : null}
                    </td>
                    <td>
                      <Status value={r.state} />
                      {r.state === 'claimed' ? <div className="rq-sub">by {who(r.claimed_by, me)}</div> : null}
                      {r.escalation_level > 0 ? <div className="rq-sub">to {r.assigned_role}</div> : null}
                    </td>
                    <td className="rq-times">
                      <div><Ago at={r.created_at} /></div>
                      <div><Countdown at={r.due_at} label="SLA" /></div>
                      {r.deadline_at ? <div className="hide-narrow"><Countdown at={r.deadline_at} label="deadline" /></div> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
