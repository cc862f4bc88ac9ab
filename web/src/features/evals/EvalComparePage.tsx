// /workflows/ID/evals/compare?a=&b=: two finished eval runs side by side (pass rate, interval,
// cost, latency) and case by case: the cases that regressed (passed in a, failed in b) and the ones
// that improved, each with the scorers that failed it and links to both runs.
import type { ReactNode } from 'react';
import { api } from '../../lib/api';
import type { EvalCaseChange, EvalComparison, EvalRun } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, useLocation } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { formatLatency, formatUsd } from '../metrics/metric-format';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { Meets } from './EvalBits';
import { evalPath, interval, rate } from './eval-format';
import './evals.css';

export function EvalComparePage({ id }: { id: string }) {
  const { query } = useLocation();
  const a = query.get('a') ?? '';
  const b = query.get('b') ?? '';
  const comparison = useResource(
    () => (a && b ? api.get<EvalComparison>(`/api/workflows/${encodeURIComponent(id)}/evals/compare`, { a, b }) : Promise.resolve(undefined)),
    [id, a, b],
  );
  const c = comparison.data;
  return (
    <WorkflowFrame id={id} title="Two eval runs compared" crumbs={[{ to: evalPath(id), label: 'Eval runs' }]}>
      {() => (
        <>
          {!a || !b ? <p className="notice">Choose two eval runs on the <Link to={evalPath(id)}>eval runs page</Link>.</p> : null}
          <ErrorNote error={comparison.error} />
          {c === undefined ? (comparison.error || !a || !b ? null : <Loading what="the comparison" />) : (
            <>
              <div className="table-wrap">
                <table aria-label="The two eval runs">
                  <thead><tr><th scope="col"></th><th scope="col">a (before)</th><th scope="col">b (after)</th></tr></thead>
                  <tbody>
                    <Row label="Eval run" a={<Link to={evalPath(id, c.a.id)}><code>{c.a.id}</code></Link>} b={<Link to={evalPath(id, c.b.id)}><code>{c.b.id}</code></Link>} />
                    <Row label="Version" a={`v${c.a.version_number}`} b={`v${c.b.version_number}`} />
                    <Row label="Dataset" a={`${c.a.dataset} v${c.a.dataset_version}`} b={`${c.b.dataset} v${c.b.dataset_version}`} />
                    <Row label="Pass rate" a={passRate(c.a)} b={passRate(c.b)} />
                    <Row label="95 % interval" a={c.a.summary ? interval(c.a.summary.interval) : '–'} b={c.b.summary ? interval(c.b.summary.interval) : '–'} />
                    <Row label="Threshold" a={<>{rate(c.a.threshold)} <Meets run={c.a} /></>} b={<>{rate(c.b.threshold)} <Meets run={c.b} /></>} />
                    <Row label="Cost" a={formatUsd(c.a.summary?.costUsd)} b={formatUsd(c.b.summary?.costUsd)} />
                    <Row label="Latency p50 / p95" a={latency(c.a)} b={latency(c.b)} />
                  </tbody>
                </table>
              </div>
              <p>
                {c.unchanged.passed} case{c.unchanged.passed === 1 ? '' : 's'} passed in both and {c.unchanged.failed} failed in both.
                {c.onlyInA + c.onlyInB > 0 ? ` ${c.onlyInA} only in a, ${c.onlyInB} only in b (the datasets differ).` : ''}
              </p>
              <div className="ev-compare">
                <Changes id="regressed" title={`Regressed (${c.regressed.length})`} empty="No case that passed in a fails in b." changes={c.regressed} />
                <Changes id="improved" title={`Improved (${c.improved.length})`} empty="No case that failed in a passes in b." changes={c.improved} />
              </div>
            </>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

function passRate(r: EvalRun): string {
  return r.summary ? `${rate(r.summary.passRate)} (${r.passed} of ${r.total})` : '–';
}

function latency(r: EvalRun): string {
  return r.summary ? `${formatLatency(r.summary.latencyMs.p50)} / ${formatLatency(r.summary.latencyMs.p95)}` : '–';
}

function Row({ label, a, b }: { label: string; a: ReactNode; b: ReactNode }) {
  return <tr><th scope="row">{label}</th><td>{a}</td><td>{b}</td></tr>;
}

function Changes({ id, title, empty, changes }: { id: string; title: string; empty: string; changes: EvalCaseChange[] }) {
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {changes.length === 0 ? <p className="muted">{empty}</p> : (
        <div className="table-wrap">
          <table aria-label={title}>
            <thead><tr><th scope="col">Case</th><th scope="col">In a</th><th scope="col">In b</th></tr></thead>
            <tbody>
              {changes.map((ch) => (
                <tr key={ch.case_id}>
                  <th scope="row"><code>{ch.case_id}</code></th>
                  <td><Side side={ch.a} which="a" caseId={ch.case_id} /></td>
                  <td><Side side={ch.b} which="b" caseId={ch.case_id} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Side({ side, which, caseId }: { side: EvalCaseChange['a']; which: 'a' | 'b'; caseId: string }) {
  return (
    <>
      <span className={`status status-${side.passed ? 'good' : 'bad'}`}>{side.passed ? 'passed' : 'failed'}</span>
      {side.failed_scorers.length ? <span className="small"> by {side.failed_scorers.join(', ')}</span> : null}
      {side.run_id ? <> <Link to={`/runs/${encodeURIComponent(side.run_id)}`}>run<span className="visually-hidden"> of {caseId} in {which}</span></Link></> : null}
    </>
  );
}
