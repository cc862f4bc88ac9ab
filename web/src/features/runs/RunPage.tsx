// /runs/{id}: one run as an operator reads it after a page: what it was (workflow, version, stage,
// trigger), where it is or how it ended, its input and output, then every step attempt on a time
// axis, the people's decisions, and the run's trace as a span waterfall. A run still going
// refreshes itself as events arrive.
import { lazy, Suspense } from 'react';
import { ApiError, api } from '../../lib/api';
import type { RunDetail } from '../../lib/api-types';
import { useLive } from '../../lib/live';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { Payload } from './Payload';
import { ErrorNote, Loading, Status } from '../../components/ui/Status';
import { Ago, useNow } from '../../components/ui/Time';
import { StoredErrorNote } from './AttemptCard';
import { RunReviews } from './RunReviews';
import { RunTimeline } from './RunTimeline';
import { formatInstant, formatMs, isFinished, spanMs } from './run-format';
import { useThrottled } from '../../components/ui/use-throttled';
import { useVersionNumbers, versionLabel } from './use-version-numbers';

const RunTrace = lazy(() => import('../traces/RunTrace').then((m) => ({ default: m.RunTrace })));

export function RunPage({ id }: { id: string }) {
  const detail = useResource(() => api.get<RunDetail>(`/api/runs/${encodeURIComponent(id)}`), [id]);
  const reload = useThrottled(detail.reload, 1000);
  const run = detail.data?.run;
  const finished = run ? isFinished(run) : false;
  useLive(['run', 'review'], (e) => {
    if (finished) return;
    const runId = (e as { run_id?: string | null }).run_id;
    if (e.poll || (e.kind === 'run' && e.id === id) || (e.kind === 'review' && (runId === id || runId === undefined))) reload();
  });
  if (detail.error instanceof ApiError && detail.error.status === 404) {
    return <><Back /><h1>Run not found</h1><ErrorNote error={detail.error} /></>;
  }
  if (!detail.data || !run) return <><Back /><ErrorNote error={detail.error} />{detail.error ? null : <Loading what="the run" />}</>;
  const d = detail.data;
  return (
    <>
      <Back />
      <h1 className="run-title">Run <code>{run.id}</code> <Status value={run.status} /></h1>
      {/* A failed refresh keeps the last good view and says so beside it. */}
      <ErrorNote error={detail.error} />
      <RunFacts detail={d} />
      {run.error ? <><h2>Why it {run.status === 'failed' ? 'failed' : 'stopped'}</h2><StoredErrorNote error={run.error} /></> : null}
      <div className="row">
        <section className="grow card" aria-label="Input">
          <h2>Input</h2>
          <Payload value={run.input} label="input" />
        </section>
        <section className="grow card" aria-label="Output">
          <h2>Output</h2>
          {run.output === null || run.output === undefined
            ? <p className="muted">{finished ? 'This run produced no output.' : 'Not yet: the run has not finished.'}</p>
            : <Payload value={run.output} label="output" />}
        </section>
      </div>
      <h2>Timeline</h2>
      <RunTimeline detail={d} />
      <h2>Review decisions</h2>
      <RunReviews reviews={d.reviews} />
      <Suspense fallback={<Loading what="the trace" />}>
        <RunTrace runId={run.id} finished={finished} />
      </Suspense>
    </>
  );
}

function Back() {
  return <p className="runs-back"><Link to="/runs">← All runs</Link></p>;
}

function RunFacts({ detail }: { detail: RunDetail }) {
  const { run, attempts } = detail;
  const versionOf = useVersionNumbers([run]);
  const now = useNow();
  const retries = attempts.filter((a) => a.attempt > 1).length;
  return (
    <section className="card">
      <dl className="facts run-facts">
        <dt>Workflow</dt><dd><Link to={`/workflows/${encodeURIComponent(run.workflow_id)}`}>{run.workflow_id}</Link></dd>
        <dt>Version</dt><dd>{versionLabel(versionOf(run.version_id), run.version_id)} <code className="muted">{run.version_id}</code></dd>
        <dt>Stage</dt><dd>{run.stage}</dd>
        <dt>Status</dt><dd><Status value={run.status} />{run.wait_reason ? <> waiting for <code>{run.wait_reason}</code></> : null}</dd>
        <dt>Trigger</dt><dd>{run.trigger_kind}</dd>
        <dt>Created</dt><dd><Ago at={run.created_at} /> <span className="muted">{formatInstant(run.created_at)}</span></dd>
        <dt>Started</dt><dd>{run.started_at ? <><Ago at={run.started_at} /> <span className="muted">{formatInstant(run.started_at)}</span></> : <span className="muted">not yet</span>}</dd>
        <dt>Finished</dt><dd>{run.finished_at ? <><Ago at={run.finished_at} /> <span className="muted">{formatInstant(run.finished_at)}</span></> : <span className="muted">not yet</span>}</dd>
        <dt>Duration</dt><dd>{formatMs(spanMs(run.started_at ?? run.created_at, run.finished_at, now))}{run.finished_at ? '' : ' so far'}
          {run.started_at ? <span className="muted"> (queued {formatMs(spanMs(run.created_at, run.started_at))} first)</span> : null}</dd>
        <dt>Current step</dt><dd>{run.current_step ? <code>{run.current_step}</code> : <span className="muted">none</span>}</dd>
        <dt>Steps</dt><dd>{attempts.length} attempt{attempts.length === 1 ? '' : 's'}{retries > 0 ? `, ${retries} of them retries` : ''}; claimed by a worker {run.claims} time{run.claims === 1 ? '' : 's'}</dd>
      </dl>
    </section>
  );
}
