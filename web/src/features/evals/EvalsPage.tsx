// /workflows/ID/evals: a workflow's eval runs, newest first, with their progress (refreshed every
// second while one runs) and figures; starting one (a version against a dataset version, with a
// concurrency) for people who may start runs; and choosing two finished runs to compare.
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../../lib/api';
import type { DatasetSummary, EvalRun, VersionSummary, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, navigate } from '../../lib/router';
import { useCan } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import { formatUsd } from '../metrics/metric-format';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { EvalProgress, EvalStatus, Meets } from './EvalBits';
import { evalPath, interval, rate } from './eval-format';
import './evals.css';

export function EvalsPage({ id }: { id: string }) {
  const base = `/api/workflows/${encodeURIComponent(id)}`;
  const evals = useResource(() => api.get<{ evals: EvalRun[] }>(`${base}/evals`, { limit: 50 }).then((r) => r.evals), [id]);
  const running = evals.data?.some((e) => e.status === 'running') ?? false;
  usePolling(evals.reload, 1000, running);
  const mayStart = useCan('runs:start');
  return (
    <WorkflowFrame id={id} title="Eval runs">
      {(w) => (
        <>
          <p className="muted small">A version runs in sandbox on every case of a dataset version (actions recorded, never sent; nobody is asked to review) and each case is scored. The gate into sandbox reads the latest finished run.</p>
          {mayStart ? <StartEval workflow={w} /> : null}
          <ErrorNote error={evals.error} />
          {evals.data === undefined ? (evals.error ? null : <Loading what="the eval runs" />) : evals.data.length === 0 ? (
            <p className="muted">No eval run yet.</p>
          ) : (
            <>
              <EvalTable workflowId={id} runs={evals.data} />
              <CompareForm workflowId={id} runs={evals.data.filter((e) => e.status === 'finished')} />
            </>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

function EvalTable({ workflowId, runs }: { workflowId: string; runs: EvalRun[] }) {
  return (
    <div className="table-wrap">
      <table aria-label="Eval runs">
        <thead>
          <tr>
            <th scope="col">Eval run</th><th scope="col">Version</th><th scope="col">Dataset</th><th scope="col">Status</th><th scope="col">Progress</th>
            <th scope="col" className="num">Pass rate</th><th scope="col">95 % interval</th><th scope="col">Threshold</th><th scope="col" className="num">Cost</th>
            <th scope="col">Started by</th><th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <th scope="row"><Link to={evalPath(workflowId, r.id)}><code>{r.id}</code></Link></th>
              <td>v{r.version_number}</td>
              <td>{r.dataset} v{r.dataset_version}</td>
              <td><EvalStatus run={r} /></td>
              <td>{r.status === 'running' ? <EvalProgress run={r} label={`Progress of ${r.id}`} /> : `${r.done}/${r.total}`}</td>
              <td className="num">{r.summary ? rate(r.summary.passRate) : '–'}</td>
              <td>{r.summary ? interval(r.summary.interval) : '–'}</td>
              <td>{rate(r.threshold)} <Meets run={r} /></td>
              <td className="num">{r.summary ? formatUsd(r.summary.costUsd) : '–'}</td>
              <td className="wrap-anywhere">{r.started_by}</td>
              <td><Ago at={r.created_at} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StartEval({ workflow }: { workflow: Workflow }) {
  const base = `/api/workflows/${encodeURIComponent(workflow.id)}`;
  const versions = useResource(() => api.get<{ versions: VersionSummary[] }>(`${base}/versions`).then((r) => r.versions), [workflow.id]);
  const datasets = useResource(() => api.get<{ datasets: DatasetSummary[] }>(`${base}/datasets`).then((r) => r.datasets), [workflow.id]);
  const [version, setVersion] = useState('');
  const [dataset, setDataset] = useState('');
  const [datasetVersion, setDatasetVersion] = useState('');
  const [concurrency, setConcurrency] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const chosen = datasets.data?.find((d) => d.dataset === dataset);
  const stagesOf = (n: number) => workflow.deployments.filter((d) => d.version_number === n).map((d) => d.stage);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const started = await api.post<EvalRun>(`${base}/evals`, {
        version: version || undefined,
        dataset: dataset || undefined,
        dataset_version: datasetVersion ? Number(datasetVersion) : undefined,
        concurrency: concurrency ? Number(concurrency) : undefined,
      });
      navigate(evalPath(workflow.id, started.id));
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="start-eval-heading" className="card">
      <h2 id="start-eval-heading">Start an eval run</h2>
      <ErrorNote error={versions.error ?? datasets.error} />
      <form className="ev-start" onSubmit={submit}>
        <label>
          Version
          <select value={version} onChange={(e) => setVersion(e.target.value)}>
            <option value="">latest</option>
            {versions.data?.map((v) => <option key={v.id} value={String(v.number)}>v{v.number}{stagesOf(v.number).map((s) => `, ${s}`).join('')}</option>)}
          </select>
        </label>
        <label>
          Dataset
          <select value={dataset} onChange={(e) => { setDataset(e.target.value); setDatasetVersion(''); }}>
            <option value="">the file's evals.dataset</option>
            {datasets.data?.map((d) => <option key={d.dataset} value={d.dataset}>{d.dataset} ({d.latest.case_count} cases)</option>)}
          </select>
        </label>
        <label>
          Dataset version
          <select value={datasetVersion} onChange={(e) => setDatasetVersion(e.target.value)} disabled={!chosen}>
            <option value="">latest</option>
            {chosen ? Array.from({ length: chosen.latest.number }, (_, i) => chosen.latest.number - i).map((n) => <option key={n} value={n}>v{n}</option>) : null}
          </select>
        </label>
        <label>
          Concurrency
          <input type="number" min={1} max={64} step={1} placeholder="file's" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Starting…' : 'Start eval run'}</button>
      </form>
      {error ? <p className="error" role="alert">{error}</p> : null}
    </section>
  );
}

function CompareForm({ workflowId, runs }: { workflowId: string; runs: EvalRun[] }) {
  const [a, setA] = useState(runs[1]?.id ?? '');
  const [b, setB] = useState(runs[0]?.id ?? '');
  if (runs.length < 2) return <p className="muted small">Two finished eval runs can be compared case by case; there is {runs.length === 0 ? 'none' : 'one'} so far.</p>;
  const label = (r: EvalRun) => `${r.id} (v${r.version_number}, ${r.dataset} v${r.dataset_version}, ${rate(r.summary?.passRate)})`;
  return (
    <section aria-labelledby="compare-heading">
      <h2 id="compare-heading">Compare two eval runs</h2>
      <form className="filters" onSubmit={(e) => { e.preventDefault(); navigate(`${evalPath(workflowId, 'compare')}?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`); }}>
        <label>Before (a)<select value={a} onChange={(e) => setA(e.target.value)}>{runs.map((r) => <option key={r.id} value={r.id}>{label(r)}</option>)}</select></label>
        <label>After (b)<select value={b} onChange={(e) => setB(e.target.value)}>{runs.map((r) => <option key={r.id} value={r.id}>{label(r)}</option>)}</select></label>
        <button type="submit" disabled={!a || !b || a === b}>Compare</button>
      </form>
    </section>
  );
}
