// One step attempt on a run's timeline: which step, which try, how it ended and when, where it sent
// the run next, what it produced or why it failed, and (for actions) whether its effect may repeat.
import type { Attempt, ModelCall, Review } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Payload } from './Payload';
import { Status } from '../../components/ui/Status';
import { ModelCalls } from './ModelCalls';
import { formatInstant, formatMs, spanMs } from './run-format';

/** Where the attempt sits on the run's time axis, in milliseconds from the run's start. */
export interface TimeSpan {
  offset: number;
  duration: number;
  total: number;
  /** Still going: the bar grows to now. */
  open: boolean;
}

const deliveryMeaning: Record<string, string> = {
  idempotent: 'The target honours our idempotency key: a retry after a crash cannot act twice.',
  'check-then-act': 'Keel looks up its reference at the target before retrying, so a retry cannot act twice.',
  unsafe: 'Neither: if a crash comes mid-call the action is not repeated; a person reconciles it.',
};

export function AttemptCard({ attempt: a, span, calls, reviews, retried }: {
  attempt: Attempt; span: TimeSpan; calls: ModelCall[]; reviews: Review[]; retried: boolean;
}) {
  const prompt = promptOf(a.output);
  return (
    <li className={`card attempt attempt-${a.status}`} data-step={a.step_id} aria-label={`${a.step_id}, attempt ${a.attempt}`}>
      <div className="attempt-head">
        <h3><code>{a.step_id}</code></h3>
        <span className="muted">{a.kind}</span>
        <span className={a.attempt > 1 || retried ? 'attempt-number retry' : 'attempt-number'}>attempt {a.attempt}</span>
        <Status value={a.status} />
        <span className="grow" />
        <span className="muted">{formatMs(spanMs(a.started_at, a.finished_at))}{a.finished_at ? '' : ' so far'}</span>
      </div>
      <Gantt span={span} status={a.status} />
      <dl className="attempt-facts">
        <div><dt>Started</dt><dd><time dateTime={a.started_at}>{formatInstant(a.started_at)}</time></dd></div>
        <div><dt>Finished</dt><dd>{a.finished_at ? <time dateTime={a.finished_at}>{formatInstant(a.finished_at)}</time> : <span className="muted">not yet</span>}</dd></div>
        {a.next_step ? <div><dt>Next step</dt><dd><code>{a.next_step}</code></dd></div> : null}
        {a.delivery ? (
          <div><dt>Delivery</dt><dd><span className={`status ${a.delivery === 'unsafe' ? 'status-bad' : 'status-plain'}`} title={deliveryMeaning[a.delivery]}>{a.delivery}</span></dd></div>
        ) : null}
        {a.idempotency_key ? <div><dt>Idempotency key</dt><dd><code>{a.idempotency_key}</code></dd></div> : null}
        {a.effect ? <div><dt>Effect</dt><dd>{a.effect === 'started' ? 'started, not confirmed' : a.effect}</dd></div> : null}
        {prompt ? <div><dt>Prompt</dt><dd><code>{prompt}</code></dd></div> : null}
        <div><dt>Worker</dt><dd><code>{a.worker}</code></dd></div>
      </dl>
      {a.error ? <StoredErrorNote error={a.error} /> : null}
      {a.output !== null && a.output !== undefined ? (
        <div className="attempt-output"><span className="muted">Output </span><Payload value={a.output} label={`${a.step_id} output`} /></div>
      ) : null}
      {calls.length > 0 ? <ModelCalls calls={calls} label={`Model calls of ${a.step_id}`} /> : null}
      {reviews.length > 0 ? (
        <p className="attempt-reviews">
          Review{reviews.length === 1 ? '' : 's'}: {reviews.map((r, i) => (
            <span key={r.id}>{i > 0 ? ', ' : ''}<Link to={`/reviews/${encodeURIComponent(r.id)}`}>{r.title ?? r.id}</Link> <Status value={r.state} /></span>
          ))}
        </p>
      ) : null}
    </li>
  );
}

/** A bar on the run's time axis: where the attempt started and how long it took, as text too. */
export function Gantt({ span, status }: { span: TimeSpan; status: string }) {
  const total = Math.max(span.total, 1);
  const left = Math.min(100, (span.offset / total) * 100);
  const width = Math.max(0, Math.min(100 - left, (span.duration / total) * 100));
  return (
    <div className="gantt-row">
      <div className="gantt" aria-hidden="true">
        <span className={`gantt-bar gantt-${status}${span.open ? ' gantt-open' : ''}`} style={{ left: `${left}%`, width: `${width}%` }} />
      </div>
      <span className="gantt-text muted">+{formatMs(span.offset)} · {formatMs(span.duration)}</span>
    </div>
  );
}

/** An error as stored on a run or an attempt: its code, what happened, what to do, whether a retry may help. */
export function StoredErrorNote({ error }: { error: NonNullable<Attempt['error']> }) {
  return (
    <div className="error stored-error">
      <p><code>{error.code}</code>: {error.message}</p>
      {error.hint ? <p className="muted">{error.hint}</p> : null}
      <p className="muted">{error.retriable ? 'Retriable: a later attempt may succeed.' : 'Not retriable.'}</p>
    </div>
  );
}

/** The prompt a model step's output names (the template model says which one it rendered). */
function promptOf(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const o = output as { prompt?: unknown; promptVersion?: unknown };
  if (typeof o.prompt !== 'string' || !o.prompt) return undefined;
  return typeof o.promptVersion === 'string' && o.promptVersion ? `${o.prompt} (${o.promptVersion})` : o.prompt;
}
