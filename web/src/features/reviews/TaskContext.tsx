// What a person needs to judge a task: what was proposed, what the run was given and produced on the
// way, why it stopped here, and what approving it sets going. The task's context carries some of it
// (input always; the steps' outputs only at the approval boundary; the actions without targets), so
// the run and the version definition are read too when the person may; a refusal or a missing run
// costs only that section, with a note saying so.
import { api, ApiError, describeError } from '../../lib/api';
import type { ReviewDetail, RunDetail } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { useCan } from '../../lib/session';
import { Link } from '../../lib/router';
import { Json } from '../../components/ui/Json';
import { Status } from '../../components/ui/Status';
import { contextActions, isRecord, reasonsOf, ruleOf, stepsAfter, type ContextAction, type Definition } from './model';

/** Known context keys shown in their own sections; the rest go in "Also recorded". */
const shownElsewhere = new Set(['input', 'steps', 'actions', 'by', 'reason', 'subject', 'exclusions', 'flags']);

function quietly(e: unknown): string {
  if (e instanceof ApiError && e.status === 403) return 'you may not read it';
  if (e instanceof ApiError && e.status === 404) return 'it is no longer there';
  return describeError(e);
}

export function useTaskSources(review: ReviewDetail | undefined) {
  const canRuns = useCan('runs:read');
  const canWorkflows = useCan('workflows:read');
  const runId = review?.run_id ?? null;
  const run = useResource<RunDetail | null>(() => (runId && canRuns ? api.get<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`) : Promise.resolve(null)), [runId, canRuns]);
  const wf = review?.workflow_id;
  const version = review?.version_id ?? null;
  const def = useResource<Definition | null>(
    () => (wf && version && canWorkflows
      ? api.get<{ definition: Definition }>(`/api/workflows/${encodeURIComponent(wf)}/versions/${encodeURIComponent(version)}`).then((v) => v.definition)
      : Promise.resolve(null)),
    [wf, version, canWorkflows],
  );
  return { run, def, canRuns, canWorkflows };
}

type Sources = ReturnType<typeof useTaskSources>;

export function Proposed({ review }: { review: ReviewDetail }) {
  return (
    <section aria-labelledby="rq-proposed">
      <h3 id="rq-proposed">Proposed output</h3>
      {review.proposed === null || review.proposed === undefined
        ? <p className="muted">Nothing was proposed ({review.reason === 'no_response' ? 'the model gave no answer' : 'the step had no output'}): approve or edit with the right output.</p>
        : <Json value={review.proposed} label="proposed output" open />}
      {review.decided_output !== null && review.decided_output !== undefined ? <><h4>Decided output</h4><Json value={review.decided_output} label="decided output" open /></> : null}
    </section>
  );
}

export function WhyAsked({ review, sources }: { review: ReviewDetail; sources: Sources }) {
  const ctx = review.context ?? {};
  const rule = ruleOf(review, sources.def.data ?? undefined);
  const extra = Object.entries(ctx).filter(([k]) => !shownElsewhere.has(k));
  return (
    <section aria-labelledby="rq-why">
      <h3 id="rq-why">Why a person is asked</h3>
      <dl className="facts">
        <dt>Reasons</dt><dd>{reasonsOf(review).join(', ')}</dd>
        {rule ? <><dt>Boundary</dt><dd><code>{rule}</code></dd></> : null}
        {typeof ctx.subject === 'string' ? <><dt>Judged output</dt><dd>steps.{ctx.subject}</dd></> : null}
        {extra.map(([k, v]) => <Fact key={k} name={k} value={v} />)}
      </dl>
    </section>
  );
}

function Fact({ name, value }: { name: string; value: unknown }) {
  return <><dt>{name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ')}</dt><dd><Json value={value} label={name} /></dd></>;
}

export function RunSoFar({ review, sources }: { review: ReviewDetail; sources: Sources }) {
  const ctx = review.context ?? {};
  const run = sources.run.data?.run;
  const input = 'input' in ctx ? ctx.input : run?.input;
  const outputs = stepOutputs(review, sources.run.data ?? undefined);
  if (!review.run_id) {
    return (
      <section aria-labelledby="rq-run">
        <h3 id="rq-run">Where it came from</h3>
        <p className="muted">An external workflow asked for this review{review.external_ref ? ` (its reference: ${review.external_ref})` : ''}; its payload is in the proposed output and the context.</p>
        {'payload' in ctx ? <Json value={ctx.payload} label="payload" /> : null}
      </section>
    );
  }
  return (
    <section aria-labelledby="rq-run">
      <h3 id="rq-run">The run so far</h3>
      <p>
        Run <Link to={`/runs/${encodeURIComponent(review.run_id)}`}>{review.run_id}</Link>
        {run ? <> <Status value={run.status} /></> : null}
        {review.stage ? <span className="muted"> · stage {review.stage}</span> : null}
      </p>
      {!sources.canRuns ? <p className="muted">You may not read runs, so only what the task carries is shown.</p> : null}
      {sources.run.error ? <p className="muted">The run could not be read ({quietly(sources.run.error)}); only what the task carries is shown.</p> : null}
      <h4>Input</h4>
      {input === undefined ? <p className="muted">Not carried by the task{sources.run.loading ? '; loading the run…' : ''}.</p> : <Json value={input} label="run input" />}
      <h4>Steps' outputs</h4>
      {outputs.length === 0
        ? <p className="muted">{sources.run.loading ? 'Loading…' : 'No earlier step produced an output.'}</p>
        : <dl className="facts">{outputs.map(([step, out]) => <Fact key={step} name={step} value={out} />)}</dl>}
    </section>
  );
}

/** Outputs of the steps before the task: from the task's own context, else the run's latest successful attempts. */
function stepOutputs(review: ReviewDetail, run: RunDetail | undefined): [string, unknown][] {
  const steps = review.context?.steps;
  if (isRecord(steps)) return Object.entries(steps);
  if (!run) return [];
  const latest = new Map<string, unknown>();
  for (const a of run.attempts) if (a.status === 'succeeded' && a.step_id !== review.step_id) latest.set(a.step_id, a.output);
  return [...latest];
}

/** What the connector would send for an action, as the server rendered it when the task opened. */
function WouldSend({ action }: { action: ContextAction | undefined }) {
  if (!action) return null;
  if (action.preview_error) return <p className="muted">What it sends is known once the steps before it have run ({action.preview_error}).</p>;
  if (action.would_send === undefined) return null;
  return <div className="rq-would-send"><Json value={action.would_send} label={`what ${action.step} would send`} open /></div>;
}

export function WhatApprovalRuns({ review, sources }: { review: ReviewDetail; sources: Sources }) {
  const after = stepsAfter(review, sources.def.data ?? undefined);
  const known = contextActions(review);
  let body;
  if (!review.run_id) {
    body = <p className="muted">The decision goes back to the external workflow that asked; what it does then is up to it.</p>;
  } else if (after) {
    const actions = after.filter((s) => s.kind === 'action');
    body = (
      <>
        {actions.length === 0 ? <p>No side effect follows: approving lets the run finish its remaining steps.</p> : null}
        <ol className="rq-next">
          {after.map((s) => (
            <li key={s.id} className={s.kind === 'action' ? 'rq-action' : 'muted'}>
              <strong>{s.id}</strong> <span className="muted">({s.kind})</span>
              {s.target ? <> <code>{s.target}</code></> : null}
              {s.delivery ? <> <span className="status status-plain" title="delivery class">{s.delivery}</span></> : null}
              <WouldSend action={known.find((a) => a.step === s.id)} />
            </li>
          ))}
        </ol>
        {review.step_id !== 'approval' && actions.length > 0 ? <p className="muted">The approval boundary judges the run again before the first action.</p> : null}
        {after.some((s) => s.kind === 'route') ? <p className="muted">A route step may skip some of these: they are listed in file order.</p> : null}
      </>
    );
  } else if (known.length > 0) {
    body = (
      <>
        <ul className="rq-next">{known.map((a) => (
          <li key={a.step} className="rq-action">
            <strong>{a.step}</strong> <code>{a.connector ? `${a.connector}.${a.action}` : a.action}</code> <span className="status status-plain">{a.delivery}</span>
            <WouldSend action={a} />
          </li>
        ))}</ul>
        <p className="muted">The steps between are not known here: {sources.def.error ? `the workflow version could not be read (${quietly(sources.def.error)})` : sources.canWorkflows ? 'the task names no version' : 'you may not read workflow definitions'}.</p>
      </>
    );
  } else {
    body = <p className="muted">{sources.def.loading ? 'Loading the workflow version…' : 'Not derivable: the task names no version and carries no list of actions.'}</p>;
  }
  return (
    <section aria-labelledby="rq-next">
      <h3 id="rq-next">What approval sets going</h3>
      {body}
    </section>
  );
}
