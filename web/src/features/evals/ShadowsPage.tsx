// /workflows/ID/shadows: a workflow's shadow runs (a candidate version run in sandbox on copies of a
// stage's live runs), and /workflows/ID/shadows/SHADOW: one shadow's report. How often the candidate
// agreed with the live version and with people, the disagreements with all three answers side by
// side, and cost and latency of live and shadow next to each other. Refreshed while it runs.
import { api } from '../../lib/api';
import type { ShadowPair, ShadowReport, ShadowRun } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, setQuery, useLocation } from '../../lib/router';
import { Json } from '../../components/ui/Json';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import { formatLatency, formatUsd } from '../metrics/metric-format';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { Pager } from './EvalBits';
import { rate } from './eval-format';
import './evals.css';

const pageSize = 50;
const tone: Record<ShadowRun['status'], string> = { running: 'busy', stopped: 'plain', finished: 'good' };

function shadowPath(workflowId: string, shadowId?: string): string {
  return `/workflows/${encodeURIComponent(workflowId)}/shadows${shadowId ? `/${encodeURIComponent(shadowId)}` : ''}`;
}

function ShadowStatus({ value }: { value: ShadowRun['status'] }) {
  return <span className={`status status-${tone[value]}`}>{value}</span>;
}

export function ShadowsPage({ id }: { id: string }) {
  const shadows = useResource(() => api.get<{ shadows: ShadowRun[] }>(`/api/workflows/${encodeURIComponent(id)}/shadows`, { limit: 50 }).then((r) => r.shadows), [id]);
  usePolling(shadows.reload, 2000, shadows.data?.some((s) => s.status === 'running') ?? false);
  return (
    <WorkflowFrame id={id} title="Shadow runs">
      {() => (
        <>
          <p className="muted small">A candidate version runs in sandbox on copies of a stage's live runs (actions recorded, never sent) and its answers are compared with the live version's and with what people decided. Start one with <code>keel shadow start</code>.</p>
          <ErrorNote error={shadows.error} />
          {shadows.data === undefined ? (shadows.error ? null : <Loading what="the shadow runs" />) : shadows.data.length === 0 ? <p className="muted">No shadow run yet.</p> : (
            <div className="table-wrap">
              <table aria-label="Shadow runs">
                <thead><tr><th scope="col">Shadow</th><th scope="col">Candidate</th><th scope="col">Live stage</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col" className="num">Agreement with live</th><th scope="col" className="num">With people</th><th scope="col">Started by</th><th scope="col">Started</th></tr></thead>
                <tbody>
                  {shadows.data.map((s) => (
                    <tr key={s.id}>
                      <th scope="row"><Link to={shadowPath(id, s.id)}><code>{s.id}</code></Link></th>
                      <td>v{s.candidate_version_number}</td>
                      <td>{s.live_stage}</td>
                      <td>{s.mode}{s.mode === 'replay' && s.replay_limit ? ` (${s.replay_limit})` : ''}</td>
                      <td><ShadowStatus value={s.status} /></td>
                      <td className="num">{s.summary ? rate(s.summary.agreementLive) : '–'}</td>
                      <td className="num">{s.summary ? rate(s.summary.people.agreement) : '–'}</td>
                      <td className="wrap-anywhere">{s.started_by}</td>
                      <td><Ago at={s.created_at} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

export function ShadowPage({ id, shadowId }: { id: string; shadowId: string }) {
  const { query } = useLocation();
  const only = query.get('only') === 'live' || query.get('only') === 'people' ? (query.get('only') as 'live' | 'people') : undefined;
  const page = Math.max(0, Number(query.get('page')) || 0);
  const report = useResource(
    () => api.get<ShadowReport>(`/api/workflows/${encodeURIComponent(id)}/shadows/${encodeURIComponent(shadowId)}`, { only, limit: pageSize, offset: page * pageSize }),
    [id, shadowId, only, page],
  );
  const r = report.data;
  usePolling(report.reload, 2000, r?.shadow.status === 'running');
  return (
    <WorkflowFrame id={id} title={`Shadow run ${shadowId}`} crumbs={[{ to: shadowPath(id), label: 'Shadow runs' }]}>
      {() => (
        <>
          <ErrorNote error={report.error} />
          {r === undefined ? (report.error ? null : <Loading what="the shadow report" />) : (
            <>
              <div className="card">
                <dl className="facts">
                  <dt>Status</dt><dd><ShadowStatus value={r.shadow.status} /></dd>
                  <dt>Candidate</dt><dd>v{r.shadow.candidate_version_number}, against the live runs of {r.shadow.live_stage} ({r.shadow.mode})</dd>
                  <dt>Compared</dt><dd><code>{r.shadow.compare.path}</code>{r.shadow.compare.step ? ` (step ${r.shadow.compare.step})` : ''}</dd>
                  <dt>Pairs</dt><dd>{r.pairs.compared} compared of {r.pairs.total}{r.pairs.pending + r.pairs.running > 0 ? `; ${r.pairs.running} running, ${r.pairs.pending} waiting` : ''}</dd>
                  <dt>Started by</dt><dd className="wrap-anywhere">{r.shadow.started_by}, <Ago at={r.shadow.created_at} /></dd>
                </dl>
              </div>
              <Figures report={r} />
              <section aria-labelledby="disagreements-heading">
                <h2 id="disagreements-heading">Disagreements ({r.disagreementCount})</h2>
                <div className="filters">
                  <label>
                    Show
                    <select value={only ?? ''} onChange={(e) => setQuery({ only: e.target.value, page: undefined })}>
                      <option value="">every disagreement</option>
                      <option value="live">with the live version</option>
                      <option value="people">with people</option>
                    </select>
                  </label>
                </div>
                {r.disagreements.length === 0 ? <p className="ok">No disagreement{only ? ` with ${only === 'live' ? 'the live version' : 'people'}` : ''} so far.</p> : (
                  <>
                    <div className="table-wrap">
                      <table aria-label="Disagreements" className="ev-cases">
                        <thead><tr><th scope="col" className="num">#</th><th scope="col">Live answer</th><th scope="col">Shadow answer</th><th scope="col">People</th><th scope="col">Runs</th></tr></thead>
                        <tbody>{r.disagreements.map((p) => <PairRow key={p.live_run_id} pair={p} />)}</tbody>
                      </table>
                    </div>
                    <Pager first={page * pageSize} shown={r.disagreements.length} total={r.disagreementCount} page={page} onPage={(n) => setQuery({ page: n === 0 ? undefined : String(n) })} />
                  </>
                )}
              </section>
            </>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

function Figures({ report: r }: { report: ShadowReport }) {
  const f = r.figures;
  return (
    <section aria-labelledby="shadow-figures-heading">
      <h2 id="shadow-figures-heading">Figures</h2>
      <dl className="ev-figures">
        <div className="card"><dt>Agreement with live</dt><dd>{rate(f.agreementLive)} <span className="muted small">({f.agreedLive} of {f.compared})</span></dd></div>
        <div className="card"><dt>Agreement with people</dt><dd>{rate(f.people.agreement)} <span className="muted small">({f.people.agreed} of {f.people.decided}; {f.people.rejected} rejected apart)</span></dd></div>
        <div className="card"><dt>Runs failed</dt><dd>{f.liveFailed} live, {f.shadowFailed} shadow</dd></div>
      </dl>
      <div className="table-wrap">
        <table aria-label="Cost and latency, live and shadow">
          <thead><tr><th scope="col"></th><th scope="col" className="num">Cost, total</th><th scope="col" className="num">Cost p50 / p95</th><th scope="col" className="num">Latency p50</th><th scope="col" className="num">Latency p95</th></tr></thead>
          <tbody>
            {(['live', 'shadow'] as const).map((side) => (
              <tr key={side}>
                <th scope="row">{side}</th>
                <td className="num">{formatUsd(f.costUsd[side].total)}</td>
                <td className="num">{formatUsd(f.costUsd[side].p50)} / {formatUsd(f.costUsd[side].p95)}</td>
                <td className="num">{formatLatency(f.latencyMs[side].p50)}</td>
                <td className="num">{formatLatency(f.latencyMs[side].p95)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">A live run's latency includes its wait for review; the shadow's does not.</p>
    </section>
  );
}

function PairRow({ pair: p }: { pair: ShadowPair }) {
  return (
    <tr>
      <td className="num">{p.position}</td>
      <td><Json value={p.live_output} label={`live answer ${p.position}`} />{p.live_status ? <div className="muted small">{p.live_status}</div> : null}</td>
      <td>
        <Json value={p.shadow_output} label={`shadow answer ${p.position}`} />
        <div className="small">{p.agreement_live === false ? <span className="runs-bad">differs from live</span> : p.agreement_live ? 'same as live' : null}{p.shadow_status ? <span className="muted"> {p.shadow_status}</span> : null}</div>
      </td>
      <td>
        {p.people_decision ? <><span className="muted small">{p.people_decision}</span> <Json value={p.people_output} label={`people's answer ${p.position}`} /></> : <span className="muted">no decision</span>}
        {p.agreement_people === false ? <div className="small runs-bad">shadow differs from people</div> : null}
      </td>
      <td>
        <Link to={`/runs/${encodeURIComponent(p.live_run_id)}`}>live run<span className="visually-hidden"> of pair {p.position}</span></Link>
        {p.trial_run_id ? <> · <Link to={`/runs/${encodeURIComponent(p.trial_run_id)}`}>shadow run<span className="visually-hidden"> of pair {p.position}</span></Link></> : null}
      </td>
    </tr>
  );
}
