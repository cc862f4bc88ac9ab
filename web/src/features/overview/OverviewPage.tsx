// The overview: every workflow the person may see, managed and external, with how it is doing
// today. Filters and sort live in the URL; live run and review changes refresh the figures.
import { useMemo } from 'react';
import { api } from '../../lib/api';
import type { Overview } from '../../lib/api-types';
import { useLive } from '../../lib/live';
import { useResource } from '../../lib/resource';
import { setQuery, useLocation } from '../../lib/router';
import { Ago } from '../../components/ui/Time';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { stages } from '../../components/ui/Badges';
import { useThrottled } from '../../components/ui/use-throttled';
import { applyView, choices, isFiltered, readView, type OverviewView } from './overview-view';
import { OverviewTable } from './OverviewTable';
import { AttentionBanner } from '../incidents/AttentionBanner';
import './overview.css';

export function OverviewPage() {
  const { query } = useLocation();
  const view = readView(query);
  const overview = useResource(() => api.get<Overview>('/api/overview'), []);
  const reload = useThrottled(overview.reload, 1000);
  useLive(['run', 'review'], reload);
  const all = overview.data?.workflows;
  const rows = useMemo(() => (all ? applyView(all, view) : []), [all, view.q, view.owner, view.team, view.stage, view.risk, view.sort, view.dir]);

  return (
    <>
      <h1>Workflows</h1>
      <AttentionBanner onChange={overview.reload} />
      {overview.data ? <Filters view={view} all={overview.data} /> : null}
      <ErrorNote error={overview.error} />
      {!overview.data ? (overview.error ? null : <Loading what="workflows" />) : (
        <>
          <p className="muted small" aria-live="polite">
            {rows.length === overview.data.workflows.length ? `${rows.length} workflows` : `${rows.length} of ${overview.data.workflows.length} workflows`}
            {' · '}coverage and override over the last 7 days · figures from <Ago at={overview.data.generated_at} />
          </p>
          {rows.length > 0 ? (
            <OverviewTable rows={rows} view={view} onSort={(sort, dir) => setQuery({ sort, dir })} />
          ) : overview.data.workflows.length === 0 ? (
            <p className="notice">No workflows you may see are registered yet. Deploy a workflow file with <code>keel deploy FILE</code>, or ask an owner for access.</p>
          ) : (
            <p className="notice">
              No workflow matches these filters.{' '}
              <button type="button" className="link" onClick={clearFilters}>Clear the filters</button>
            </p>
          )}
        </>
      )}
    </>
  );
}

function clearFilters() {
  setQuery({ q: undefined, owner: undefined, team: undefined, stage: undefined, risk: undefined });
}

function Filters({ view, all }: { view: OverviewView; all: Overview }) {
  const owners = choices(all.workflows, (w) => w.owner);
  const teams = choices(all.workflows, (w) => w.team);
  return (
    <form className="filters" role="search" aria-label="Filter workflows" onSubmit={(e) => e.preventDefault()}>
      <label>
        Search
        <input type="search" value={view.q} placeholder="title, id, owner…" onChange={(e) => setQuery({ q: e.target.value })} />
      </label>
      <label>
        Owner
        <select value={view.owner} onChange={(e) => setQuery({ owner: e.target.value })}>
          <option value="">Any owner</option>
          {owners.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      </label>
      <label>
        Team
        <select value={view.team} onChange={(e) => setQuery({ team: e.target.value })}>
          <option value="">Any team</option>
          {teams.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </label>
      <label>
        Stage
        <select value={view.stage} onChange={(e) => setQuery({ stage: e.target.value })}>
          <option value="">Any stage</option>
          {stages.map((s) => <option key={s} value={s}>deployed to {s}</option>)}
          <option value="none">not deployed</option>
        </select>
      </label>
      <label>
        Risk
        <select value={view.risk} onChange={(e) => setQuery({ risk: e.target.value })}>
          <option value="">Any risk</option>
          <option value="low">low</option>
          <option value="medium">medium</option>
          <option value="high">high</option>
        </select>
      </label>
      {isFiltered(view) ? <button type="button" onClick={clearFilters}>Clear filters</button> : null}
    </form>
  );
}
