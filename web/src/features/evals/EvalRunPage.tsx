// /workflows/ID/evals/EVAL: one eval run. While it runs, its done/total bar, refreshed every second
// (and a Cancel control for those who may start runs). Once finished, its figures: the pass rate
// with its 95 % interval against the threshold, per scorer, a label scorer's per-label precision,
// recall and F1 with macro-F1, cost and latency; then the failed cases with what each scorer said,
// each linked to the run that produced it.
import { useState } from 'react';
import { api, describeError } from '../../lib/api';
import type { EvalResult, EvalRun, ScoreResult, ScorerSummary } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, setQuery, useLocation } from '../../lib/router';
import { useCan } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import { formatLatency, formatUsd } from '../metrics/metric-format';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { EvalProgress, EvalStatus, Meets, Pager } from './EvalBits';
import { evalPath, fraction, interval, rate } from './eval-format';
import './evals.css';

const pageSize = 50;

export function EvalRunPage({ id, evalId }: { id: string; evalId: string }) {
  const path = `/api/workflows/${encodeURIComponent(id)}/evals/${encodeURIComponent(evalId)}`;
  const run = useResource(() => api.get<EvalRun>(path), [path]);
  const r = run.data;
  usePolling(run.reload, 1000, r?.status === 'running');
  return (
    <WorkflowFrame id={id} title={`Eval run ${evalId}`} crumbs={[{ to: evalPath(id), label: 'Eval runs' }]}>
      {() => (
        <>
          <ErrorNote error={run.error} />
          {r === undefined ? (run.error ? null : <Loading what="the eval run" />) : (
            <>
              <Facts run={r} />
              {r.status === 'running' ? <Running run={r} onChange={run.reload} /> : null}
              {r.error ? <div className="error" role="alert"><p>The eval run stopped: {String(r.error.message ?? r.error.code ?? JSON.stringify(r.error))}</p></div> : null}
              {r.summary ? <Figures run={r} summary={r.summary} /> : null}
              {r.status !== 'running' ? <FailedCases workflowId={id} run={r} /> : null}
            </>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

function Facts({ run: r }: { run: EvalRun }) {
  return (
    <div className="card">
      <dl className="facts">
        <dt>Status</dt><dd><EvalStatus run={r} /></dd>
        <dt>Version</dt><dd>v{r.version_number}</dd>
        <dt>Dataset</dt><dd>{r.dataset} v{r.dataset_version} ({r.total} cases)</dd>
        <dt>Concurrency</dt><dd>{r.concurrency} cases at once</dd>
        <dt>Threshold</dt><dd>{rate(r.threshold)}</dd>
        <dt>Started by</dt><dd className="wrap-anywhere">{r.started_by}, <Ago at={r.created_at} /></dd>
        <dt>Finished</dt><dd>{r.finished_at ? <Ago at={r.finished_at} /> : <span className="muted">not yet</span>}</dd>
      </dl>
    </div>
  );
}

function Running({ run, onChange }: { run: EvalRun; onChange(): void }) {
  const mayCancel = useCan('runs:start');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/workflows/${encodeURIComponent(run.workflow_id)}/evals/${encodeURIComponent(run.id)}/cancel`);
      onChange();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <div role="status"><EvalProgress run={run} label="Cases scored" /></div>
      <p className="muted small">{run.passed} passed so far. The page refreshes every second until the last case is scored.</p>
      {mayCancel ? <button type="button" className="danger" disabled={busy} onClick={() => void cancel()}>Cancel the eval run</button> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </section>
  );
}

function Figures({ run, summary: s }: { run: EvalRun; summary: NonNullable<EvalRun['summary']> }) {
  const scorers = s.scorers as unknown as ScorerSummary[];
  return (
    <section aria-labelledby="figures-heading">
      <h2 id="figures-heading">Figures</h2>
      <dl className="ev-figures">
        <div className="card"><dt>Pass rate</dt><dd>{rate(s.passRate)} <span className="muted small">({run.passed} of {run.total})</span></dd></div>
        <div className="card"><dt>95 % interval</dt><dd>{interval(s.interval)}</dd></div>
        <div className="card"><dt>Threshold {rate(run.threshold)}</dt><dd><Meets run={run} /></dd></div>
        <div className="card"><dt>Cost</dt><dd>{formatUsd(s.costUsd)}</dd></div>
        <div className="card"><dt>Latency p50 / p95</dt><dd>{formatLatency(s.latencyMs.p50)} / {formatLatency(s.latencyMs.p95)}</dd></div>
        <div className="card"><dt>Slowest case</dt><dd>{formatLatency(s.latencyMs.max)}</dd></div>
        <div className="card"><dt>Cases whose run failed</dt><dd>{s.runErrors}</dd></div>
        <div className="card"><dt>Took</dt><dd>{formatLatency(s.durationMs)}</dd></div>
      </dl>
      <div className="table-wrap">
        <table aria-label="Per scorer">
          <caption className="muted small">Per scorer: a case passes when every scorer passes it.</caption>
          <thead><tr><th scope="col">Scorer</th><th scope="col">Kind</th><th scope="col" className="num">Cases</th><th scope="col" className="num">Passed</th><th scope="col" className="num">Pass rate</th><th scope="col" className="num">Mean score</th><th scope="col" className="num">Cost</th></tr></thead>
          <tbody>
            {scorers.map((x) => (
              <tr key={x.scorer}>
                <th scope="row">{x.scorer}</th><td>{x.kind}</td><td className="num">{x.cases}</td><td className="num">{x.passed}</td>
                <td className="num">{rate(x.passRate)}</td><td className="num">{fraction(x.meanScore)}</td><td className="num">{formatUsd(x.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {scorers.filter((x) => x.label).map((x) => <LabelTable key={x.scorer} scorer={x} />)}
    </section>
  );
}

function LabelTable({ scorer }: { scorer: ScorerSummary }) {
  const m = scorer.label!;
  return (
    <div className="table-wrap">
      <h3>Labels of {scorer.scorer}</h3>
      <p>Accuracy <strong>{rate(m.accuracy)}</strong> over {m.cases} labelled cases; macro-F1 <strong>{fraction(m.macroF1)}</strong></p>
      <table aria-label={`Per label of ${scorer.scorer}`}>
        <thead><tr><th scope="col">Label</th><th scope="col" className="num">Precision</th><th scope="col" className="num">Recall</th><th scope="col" className="num">F1</th><th scope="col" className="num">Expected</th><th scope="col" className="num">Predicted</th></tr></thead>
        <tbody>
          {Object.entries(m.perLabel).map(([label, l]) => (
            <tr key={label}>
              <th scope="row">{label}</th><td className="num">{fraction(l.precision)}</td><td className="num">{fraction(l.recall)}</td><td className="num">{fraction(l.f1)}</td>
              <td className="num">{l.support}</td><td className="num">{l.predicted}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FailedCases({ workflowId, run }: { workflowId: string; run: EvalRun }) {
  const { query } = useLocation();
  const page = Math.max(0, Number(query.get('page')) || 0);
  const failed = run.total - run.passed;
  const results = useResource(
    () => api.get<{ results: EvalResult[] }>(`/api/workflows/${encodeURIComponent(workflowId)}/evals/${encodeURIComponent(run.id)}/results`, { only: 'failed', limit: pageSize, offset: page * pageSize }).then((r) => r.results),
    [workflowId, run.id, run.status, page],
  );
  return (
    <section aria-labelledby="failed-heading">
      <h2 id="failed-heading">Failed cases ({failed})</h2>
      <ErrorNote error={results.error} />
      {results.data === undefined ? (results.error ? null : <Loading what="the failed cases" />) : results.data.length === 0 ? (
        <p className="ok">No case failed.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Failed cases">
              <thead><tr><th scope="col" className="num">#</th><th scope="col">Case</th><th scope="col">Run</th><th scope="col">What the scorers said</th><th scope="col" className="num">Cost</th><th scope="col" className="num">Latency</th></tr></thead>
              <tbody>
                {results.data.map((c) => (
                  <tr key={c.case_id}>
                    <td className="num">{c.position}</td>
                    <td><code>{c.case_id}</code></td>
                    <td>
                      {c.run_id ? <Link to={`/runs/${encodeURIComponent(c.run_id)}`}>run {c.run_status ?? ''}<span className="visually-hidden"> of case {c.position}</span></Link> : <span className="muted">{c.run_status ?? 'no run'}</span>}
                    </td>
                    <td><CaseVerdict result={c} /></td>
                    <td className="num">{formatUsd(c.cost_usd)}</td>
                    <td className="num">{formatLatency(c.latency_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager first={page * pageSize} shown={results.data.length} total={failed} page={page} onPage={(p) => setQuery({ page: p === 0 ? undefined : String(p) })} />
        </>
      )}
    </section>
  );
}

function CaseVerdict({ result }: { result: EvalResult }) {
  const scores = (result.scores ?? []) as unknown as ScoreResult[];
  return (
    <>
      {result.error ? <p className="runs-message runs-bad">{String(result.error.message ?? result.error.code ?? '')}</p> : null}
      <ul className="ev-scores">
        {scores.map((s) => (
          <li key={s.scorer}>
            <span className={`status status-${s.passed ? 'good' : 'bad'}`}>{s.passed ? 'passed' : 'failed'}</span> <strong>{s.scorer}</strong>
            {s.label ? <span className="small"> expected <code>{s.label.expected ?? 'none'}</code>, got <code>{s.label.predicted ?? 'none'}</code></span> : null}
            {s.detail ? <div className="small">{s.detail}</div> : null}
          </li>
        ))}
      </ul>
    </>
  );
}
