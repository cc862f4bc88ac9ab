// One task, whole, in the order a person judges it: what it is and by when (SLA, deadline,
// escalation, quorum, claim), what is proposed, why a person is asked, what approving sets going,
// then the decision; below it the run's raw material and the conversation. The keys work from
// anywhere on the page, so the panel's place is for reading order, not for reach.
import { useId, useState, type FormEvent, type Ref } from 'react';
import { api, describeError } from '../../lib/api';
import type { ReviewDecided, ReviewDetail, Workflow } from '../../lib/api-types';
import type { Resource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { Status } from '../../components/ui/Status';
import { Ago, Countdown } from '../../components/ui/Time';
import { DecisionPanel, type Draft, type PanelAlert, type PanelHandle } from './DecisionPanel';
import { priorityName, who } from './model';
import { Proposed, RunSoFar, WhatApprovalRuns, WhyAsked, useTaskSources } from './TaskContext';

export interface TaskProps {
  task: Resource<ReviewDetail>;
  workflow: Workflow | undefined;
  me: string;
  draft: Draft;
  setDraft(patch: Partial<Draft>): void;
  alert: PanelAlert | undefined;
  setAlert(a: PanelAlert | undefined): void;
  onDecided(result: ReviewDecided, decision: string): void;
  /** Read the task (and the queue) again: after a conflict or a claim. */
  onChanged(): void;
  handle: Ref<PanelHandle>;
  backHref: string;
}

export function ReviewTask(props: TaskProps) {
  const { task, workflow, me } = props;
  const review = task.data;
  const sources = useTaskSources(review);
  if (!review) {
    return (
      <>
        <p className="rq-back"><Link to={props.backHref}>← Back to the queue</Link></p>
        {task.error ? <p className="error" role="alert">This task could not be read: {describeError(task.error)}</p> : <p className="muted" role="status">Loading the task…</p>}
      </>
    );
  }
  return (
    <article aria-labelledby="rq-task-title" className="rq-task-body">
      <p className="rq-back"><Link to={props.backHref}>← Back to the queue</Link></p>
      <h2 id="rq-task-title">{review.title ?? review.step_id ?? review.id}</h2>
      <p className="muted rq-sub">
        {workflow?.title ?? review.workflow_id} {workflow ? <Status value={workflow.risk} /> : null} · {review.step_id ? `step ${review.step_id} · ` : ''}{review.id}
      </p>
      {task.error ? <p className="error" role="alert">The task did not refresh: {describeError(task.error)}</p> : null}
      <Facts review={review} me={me} />
      <Proposed review={review} />
      <WhyAsked review={review} sources={sources} />
      <WhatApprovalRuns review={review} sources={sources} />
      <DecisionPanel
        review={review} me={me} draft={props.draft} setDraft={props.setDraft} alert={props.alert} setAlert={props.setAlert}
        onDecided={props.onDecided} onChanged={props.onChanged} handle={props.handle}
      />
      <RunSoFar review={review} sources={sources} />
      <Comments review={review} me={me} draft={props.draft} setDraft={props.setDraft} reload={task.reload} />
    </article>
  );
}

function Facts({ review, me }: { review: ReviewDetail; me: string }) {
  const chain = [review.assigned_role, ...review.escalation_chain].filter(Boolean);
  return (
    <dl className="facts rq-facts">
      <dt>State</dt>
      <dd>
        <Status value={review.state} />
        {review.state === 'claimed' ? <> by {who(review.claimed_by, me)}, <Countdown at={review.claimed_until} label="frees" /></> : null}
        {' · '}<span className={`rq-priority rq-p${review.priority}`}>{priorityName(review.priority)}</span> priority
      </dd>
      <dt>Asked</dt><dd><Ago at={review.created_at} />{review.requested_by ? ` by ${who(review.requested_by, me)}` : ''}</dd>
      <dt>Due</dt>
      <dd>
        SLA <Countdown at={review.due_at} label="due" />
        {' · '}<Countdown at={review.deadline_at} label="deadline" />{review.deadline_at ? `, then ${review.on_deadline}` : ''}
      </dd>
      <dt>Assigned</dt>
      <dd>
        {review.assigned_to ? `${who(review.assigned_to, me)}` : review.assigned_role ? `role ${review.assigned_role}` : 'anyone who reviews'}
        {review.escalation_level > 0 ? ` · escalated ${review.escalation_level}× (level ${review.escalation_level})` : ' · level 0'}
        {chain.length > 1 ? <> · chain {chain.join(' → ')}</> : null}
      </dd>
      {review.quorum > 1 ? (
        <>
          <dt>Quorum</dt>
          <dd>
            {review.approvals.length} of {review.quorum} approvals
            {review.approvals.length > 0 ? <ul className="rq-plain">{review.approvals.map((a) => <li key={a.actor}>{who(a.actor, me)}, <Ago at={a.created_at} /></li>)}</ul> : null}
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Comments({ review, me, draft, setDraft, reload }: { review: ReviewDetail; me: string; draft: Draft; setDraft(p: Partial<Draft>): void; reload(): void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!draft.comment.trim() || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/reviews/${encodeURIComponent(review.id)}/comments`, { body: draft.comment });
      setDraft({ comment: '' });
      reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Comments</h3>
      {review.comments.length === 0 ? <p className="muted">No comments yet.</p> : (
        <ul className="rq-comments">
          {review.comments.map((c) => <li key={c.id}><strong>{who(c.actor, me)}</strong> <span className="muted"><Ago at={c.created_at} /></span><p>{c.body}</p></li>)}
        </ul>
      )}
      <form onSubmit={submit} aria-label="Add a comment">
        <label htmlFor={`${id}-c`}>Comment</label>
        <textarea
          id={`${id}-c`} rows={2} value={draft.comment} onChange={(e) => setDraft({ comment: e.target.value })}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e); }}
        />
        {error ? <p className="error" role="alert">{error}</p> : null}
        <div className="actions"><button type="submit" disabled={busy || !draft.comment.trim()}>{busy ? 'Adding…' : 'Add comment'}</button></div>
      </form>
    </section>
  );
}
