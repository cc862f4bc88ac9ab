// One workflow: what it is and may do (from the version it runs), what needs attention (a paused
// stage, an open incident), which version each stage runs, its metrics, drift and monitors, where
// its runs went (an external one's traces), and its versions with what changed between them.
import { lazy, Suspense } from 'react';
import { api } from '../../lib/api';
import type { VersionSummary, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, setQuery, useLocation } from '../../lib/router';
import { Ago } from '../../components/ui/Time';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Risk, stages } from '../../components/ui/Badges';
import type { Definition, Version } from './definition';
import { FlowSection } from './FlowSection';
import { Versions } from './Versions';
import { WorkflowCard } from './WorkflowCard';
import { WorkflowNav } from './WorkflowNav';
import { AttentionBanner } from '../incidents/AttentionBanner';
import { periodOf, stageOf } from '../metrics/periods';

// The metrics, drift and monitors (with their charts) and the traces list load with the page's first
// visit, not with the dashboard.
const MetricsSection = lazy(() => import('../metrics/MetricsSection').then((m) => ({ default: m.MetricsSection })));
const TracesList = lazy(() => import('../traces/TracesList').then((m) => ({ default: m.TracesList })));
import './workflow.css';

function numberParam(value: string | null): number | undefined {
  const n = Number(value?.replace(/^v/, ''));
  return value && Number.isInteger(n) ? n : undefined;
}

export function WorkflowPage({ id }: { id: string }) {
  const { query } = useLocation();
  const base = `/api/workflows/${encodeURIComponent(id)}`;
  const workflow = useResource(() => api.get<Workflow>(base), [id]);
  const versions = useResource(() => api.get<{ versions: VersionSummary[] }>(`${base}/versions`).then((r) => r.versions), [id]);
  const w = workflow.data;
  // The card describes what runs in production, else the newest version; ?version= picks another.
  const production = w?.deployments.find((d) => d.stage === 'production');
  const shownNumber = numberParam(query.get('version')) ?? production?.version_number ?? versions.data?.[0]?.number;
  const version = useResource(
    () => (shownNumber === undefined ? Promise.resolve(undefined) : api.get<Version>(`${base}/versions/${shownNumber}`)),
    [id, shownNumber],
  );

  if (!w) return workflow.error ? <><h1>Workflow {id}</h1><ErrorNote error={workflow.error} /></> : <Loading what="the workflow" />;
  const definition = (version.data?.definition ?? {}) as Definition;
  const stageParam = query.get('stage');
  const flowStage = stageParam === 'all' ? '' : stageParam && (stages as readonly string[]).includes(stageParam) ? stageParam : production ? 'production' : '';

  return (
    <>
      <p className="muted small"><Link to="/">Workflows</Link> / <code>{w.id}</code></p>
      <h1>{w.title}</h1>
      <div className="actions wf-head">
        <span className="status status-plain">{w.kind}</span>
        <Risk value={w.risk} />
        <Link className="button" to={`/runs?workflow=${encodeURIComponent(w.id)}`}>Runs of this workflow</Link>
        <Link className="button" to={`/reviews?workflow=${encodeURIComponent(w.id)}`}>Review queue</Link>
      </div>
      <WorkflowNav id={w.id} />
      <AttentionBanner workflowId={w.id} onChange={workflow.reload} />

      {versions.data && versions.data.length > 0 ? (
        <div className="filters">
          <label>
            Definition of
            <select value={shownNumber ?? ''} onChange={(e) => setQuery({ version: e.target.value })}>
              {versions.data.map((v) => (
                <option key={v.id} value={v.number}>v{v.number}{w.deployments.filter((d) => d.version_number === v.number).map((d) => `, ${d.stage}`).join('')}</option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      <ErrorNote error={version.error ?? versions.error} />
      {version.data || shownNumber === undefined ? <WorkflowCard workflow={w} definition={definition} /> : version.error ? null : <Loading what="the definition" />}

      <Deployments workflow={w} />
      <Suspense fallback={<Loading what="the metrics" />}>
        <MetricsSection workflowId={w.id} period={periodOf(query.get('metrics'))} stage={stageOf(query.get('metrics_stage'))} />
        {w.kind === 'external' ? <TracesList workflowId={w.id} /> : null}
      </Suspense>
      {version.data || shownNumber === undefined ? (
        <FlowSection id={w.id} title={w.title} definition={definition} windowValue={query.get('window') ?? '24h'} stage={flowStage} />
      ) : null}
      {versions.data ? <Versions workflow={w} versions={versions.data} from={numberParam(query.get('from'))} to={numberParam(query.get('to'))} /> : null}
      {version.data ? (
        <details className="source">
          <summary>Workflow file of v{version.data.number}{version.data.source_name ? ` (${version.data.source_name})` : ''}</summary>
          <pre tabIndex={0} aria-label={`Workflow file of version ${version.data.number}`}>{version.data.source}</pre>
        </details>
      ) : null}
    </>
  );
}

function Deployments({ workflow }: { workflow: Workflow }) {
  return (
    <section aria-labelledby="deployments-heading">
      <h2 id="deployments-heading">Deployments</h2>
      <div className="table-wrap">
        <table>
          <thead><tr><th scope="col">Stage</th><th scope="col">Version</th><th scope="col">State</th><th scope="col">Deployed by</th><th scope="col">Deployed</th></tr></thead>
          <tbody>
            {stages.map((stage) => {
              const d = workflow.deployments.find((x) => x.stage === stage);
              return (
                <tr key={stage}>
                  <th scope="row">{stage}</th>
                  {d ? (
                    <>
                      <td>v{d.version_number}</td>
                      <td>{d.paused ? <><span className="status status-wait">paused</span>{d.pause_reason ? <div className="muted small">{d.pause_reason}</div> : null}</> : <span className="status status-good">accepting runs</span>}</td>
                      <td className="wrap-anywhere">{d.deployed_by}</td>
                      <td><Ago at={d.deployed_at} /></td>
                    </>
                  ) : <td colSpan={4} className="muted">not deployed</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
