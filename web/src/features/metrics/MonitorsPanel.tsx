// A workflow's monitors (GET /api/workflows/{id}/monitors): each rule, from the workflow file's
// runbook or added through the API, with what it watches and its last verdict. The monitor loop
// judges them in the background, so the list is asked for again every 10 s.
import { api } from '../../lib/api';
import type { Monitor, MonitorList } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';

const refreshMs = 10_000;
const stateTone: Record<NonNullable<Monitor['state']>['state'], string> = { ok: 'good', firing: 'bad', no_data: 'plain' };

const volumes = new Set(['runs', 'tokens', 'cost_usd']);

/** What a rule watches, in words: "runs above 0 over 1h", "no run ends for 2h", ... */
export function describeRule(r: Monitor['rule']): string {
  const window = r.window ?? '1h';
  let what: string;
  if (r.drift) {
    const parts = [`drift of ${r.drift.feature && r.drift.feature !== 'any' ? r.drift.feature.replace(/_/g, ' ') : 'any feature'}: PSI above ${r.drift.psi ?? 0.25}`];
    if (r.drift.acceptance_change_pct !== undefined) parts.push(`or acceptance moving more than ${r.drift.acceptance_change_pct} % relative`);
    what = `${parts.join(' ')}, last ${window} against the ${r.baseline ?? '7d'} before`;
  } else if (r.no_runs_for !== undefined) {
    what = `no run ends for ${r.no_runs_for}`;
  } else if (r.cost_per_day_above !== undefined) {
    what = `spend over 24 h above $${r.cost_per_day_above}`;
  } else if (r.metric) {
    const limit = r.above !== undefined ? `above ${r.above}` : `below ${r.below}`;
    what = `${r.metric.replace(/_/g, ' ')} ${limit} over the last ${window}`;
  } else {
    what = 'an incomplete rule';
  }
  const stage = r.stage ?? 'production';
  // Volumes (runs, tokens, cost) are judged however few runs there were; shares and drift need cases.
  const needsCases = r.drift !== undefined || (r.metric !== undefined && !volumes.has(r.metric));
  return `${what}, at ${stage}${needsCases && r.min_runs !== undefined ? `, judged from ${r.min_runs} cases` : ''}`;
}

export function MonitorsPanel({ workflowId }: { workflowId: string }) {
  const monitors = useResource(() => api.get<MonitorList>(`/api/workflows/${encodeURIComponent(workflowId)}/monitors`).then((r) => r.monitors), [workflowId]);
  usePolling(monitors.reload, refreshMs);
  const list = monitors.data;
  return (
    <section aria-labelledby="monitors-heading">
      <h2 id="monitors-heading">Monitors</h2>
      <ErrorNote error={monitors.error} />
      {list === undefined ? (monitors.error ? null : <Loading what="monitors" />) : list.length === 0 ? (
        <p className="muted">
          No monitors. Write them under <code>runbook.monitors</code> in the workflow file, or add one with <code>POST /api/workflows/{workflowId}/monitors</code>.
        </p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="monitors-table">
              <caption className="visually-hidden">Monitors of {workflowId}</caption>
              <thead>
                <tr><th scope="col">Monitor</th><th scope="col">Watches</th><th scope="col">State</th><th scope="col">Last verdict</th></tr>
              </thead>
              <tbody>
                {list.map((m) => (
                  <tr key={m.key} data-monitor={m.rule.name}>
                    <th scope="row">
                      {m.rule.name}
                      <div className="muted small">{m.source === 'file' ? 'from the workflow file' : 'added through the API'}</div>
                    </th>
                    <td>
                      {describeRule(m.rule)}
                      {m.rule.stop ? <div><span className="status status-wait">stop condition</span> <span className="small">pauses {m.rule.stage ?? 'production'} when it fires</span></div> : null}
                      {m.rule.notify && m.rule.notify.length > 0 ? <div className="muted small">notifies {m.rule.notify.map((n) => `${n.connector}.${n.action}`).join(', ')}</div> : null}
                    </td>
                    <td>
                      {m.state ? (
                        <>
                          <span className={`status status-${stateTone[m.state.state]}`}>{m.state.state.replace('_', ' ')}</span>
                          <div className="muted small">since <Ago at={m.state.since} /></div>
                        </>
                      ) : <span className="muted">not judged yet</span>}
                    </td>
                    <td className="monitor-summary">
                      {m.state ? <>{m.state.summary} <span className="muted small">(checked <Ago at={m.state.evaluated_at} />)</span></> : <span className="muted">–</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.some((m) => m.state?.state === 'firing') ? <p className="small"><Link to={`/incidents?workflow=${encodeURIComponent(workflowId)}`}>Incidents of this workflow</Link></p> : null}
        </>
      )}
    </section>
  );
}
