// A run's steps in the order they ran, each attempt on one time axis that starts with the run, so
// a slow step or a retry back-off shows as a long bar or a gap. Model calls sit with the attempt
// that made them; a step still running (pure steps record their attempt only when they end) is
// shown as in progress with the calls it made so far.
import type { RunDetail } from '../../lib/api-types';
import { useNow } from '../../components/ui/Time';
import { AttemptCard, Gantt, type TimeSpan } from './AttemptCard';
import { ModelCalls } from './ModelCalls';
import { matchModelCalls } from './model-call-match';
import { isFinished } from './run-format';

const time = (at: string) => new Date(at).getTime();

export function RunTimeline({ detail }: { detail: RunDetail }) {
  const { run, attempts, model_calls: calls, reviews } = detail;
  const finished = isFinished(run);
  // Only a run still going needs a clock: its open bars grow.
  const now = useNow();
  const ordered = [...attempts].sort((a, b) => time(a.started_at) - time(b.started_at) || a.id - b.id);
  const start = Math.min(time(run.started_at ?? run.created_at), ...ordered.map((a) => time(a.started_at)));
  const ends = [run.finished_at ? time(run.finished_at) : finished ? start : now, ...ordered.map((a) => (a.finished_at ? time(a.finished_at) : now))];
  const total = Math.max(...ends) - start;
  const { byAttempt, unmatched } = matchModelCalls(ordered, calls, now);
  const stepsTried = new Map<string, number>();
  for (const a of ordered) stepsTried.set(a.step_id, (stepsTried.get(a.step_id) ?? 0) + 1);

  const inFlight = !finished && run.current_step && !ordered.some((a) => a.step_id === run.current_step && !a.finished_at) && run.status === 'running'
    ? run.current_step : undefined;
  const inFlightCalls = unmatched.filter((c) => c.step_id === inFlight);
  const strayCalls = unmatched.filter((c) => c.step_id !== inFlight);
  const inFlightFrom = Math.max(start, ...ordered.map((a) => (a.finished_at ? time(a.finished_at) : start)));

  if (ordered.length === 0 && !inFlight) {
    return <p className="muted">{run.status === 'queued' ? 'No step has run yet: the run waits for a worker.' : 'No step attempts recorded.'}</p>;
  }
  return (
    <>
      <ol className="timeline" aria-label="Step attempts">
        {ordered.map((a) => {
          const span: TimeSpan = { offset: time(a.started_at) - start, duration: (a.finished_at ? time(a.finished_at) : now) - time(a.started_at), total, open: !a.finished_at };
          return (
            <AttemptCard key={a.id} attempt={a} span={span} calls={byAttempt.get(a.id) ?? []}
              reviews={reviews.filter((r) => r.step_id === a.step_id)} retried={(stepsTried.get(a.step_id) ?? 0) > 1} />
          );
        })}
        {inFlight ? (
          <li className="card attempt attempt-running" aria-label={`${inFlight}, in progress`}>
            <div className="attempt-head">
              <h3><code>{inFlight}</code></h3>
              <span className="muted">in progress: its attempt is recorded when it ends</span>
            </div>
            <Gantt span={{ offset: inFlightFrom - start, duration: now - inFlightFrom, total, open: true }} status="running" />
            {inFlightCalls.length > 0 ? <ModelCalls calls={inFlightCalls} label={`Model calls of ${inFlight} so far`} /> : null}
          </li>
        ) : null}
      </ol>
      {strayCalls.length > 0 ? (
        <section className="card">
          <h3>Model calls no attempt holds</h3>
          <p className="muted">Their times fall outside every attempt of their step (a step interrupted by a crash leaves such calls behind).</p>
          <ModelCalls calls={strayCalls} label="Other model calls" />
        </section>
      ) : null}
    </>
  );
}
