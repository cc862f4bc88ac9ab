// /runs: every run the person may see, newest first, filtered by what the URL says, paged by run id
// ("Older" asks for the runs before the last one shown), and refreshed as runs start and move.
import { api } from '../../lib/api';
import type { Run, Workflow } from '../../lib/api-types';
import { useLive } from '../../lib/live';
import { useResource } from '../../lib/resource';
import { setQuery, useLocation } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { hasFilters, RunFilters, runsQuery } from './RunFilters';
import { RunsTable } from './RunsTable';
import { useThrottled } from '../../components/ui/use-throttled';

const pageSize = 50;

export function RunsPage() {
  const { query } = useLocation();
  const qs = query.toString();
  const workflows = useResource(() => api.get<{ workflows: Workflow[] }>('/api/workflows').then((r) => r.workflows), []);
  const runs = useResource(
    () => api.get<{ runs: Run[] }>('/api/runs', { ...runsQuery(new URLSearchParams(qs)), limit: pageSize }).then((r) => r.runs),
    [qs],
  );
  const reload = useThrottled(runs.reload, 1000);
  const workflow = query.get('workflow');
  useLive(['run'], (e) => {
    // A change in another workflow cannot alter a list narrowed to one workflow.
    if (!e.poll && workflow && e.workflow_id && e.workflow_id !== workflow) return;
    reload();
  });
  const before = query.get('before');
  const list = runs.data;
  return (
    <>
      <h1>Runs</h1>
      <RunFilters query={query} workflows={workflows.data} />
      {workflows.error ? <p className="muted">The workflow list could not be loaded; type a workflow id into the address instead.</p> : null}
      <ErrorNote error={runs.error} />
      {list === undefined ? (runs.error ? null : <Loading what="runs" />) : (
        <>
          <p className="muted runs-count" role="status">
            {list.length === 0 ? (hasFilters(query) ? 'No runs match these filters.' : 'No runs yet.') : countLine(list.length, before)}
          </p>
          {list.length > 0 ? <RunsTable runs={list} /> : null}
          <div className="actions">
            {before ? <button type="button" onClick={() => setQuery({ before: undefined })}>Newest</button> : null}
            {list.length === pageSize ? (
              <button type="button" onClick={() => { setQuery({ before: list.at(-1)!.id }); scrollTo(0, 0); }}>Older</button>
            ) : null}
          </div>
        </>
      )}
    </>
  );
}

function countLine(n: number, before: string | null): string {
  const shown = `${n} run${n === 1 ? '' : 's'}${before ? `, older than ${before}` : ''}`;
  return n === pageSize ? `${shown} shown; older ones are one page on (Older).` : `${shown}.`;
}
