// What a workflow's email triggers are doing, per stage (GET /api/workflows/{id}/triggers): when
// each last read its mailbox, why the last read failed, and how many messages it skipped because
// their input broke the contract. A trigger that cannot read is otherwise silent: no run, no review.
import { useEffect } from 'react';
import { api, ApiError } from '../../lib/api';
import type { EmailTriggerState, TriggerStates } from '../../lib/api-types';
import { useLive } from '../../lib/live';
import { useResource, type Resource } from '../../lib/resource';
import { Ago } from '../../components/ui/Time';
import { useThrottled } from '../../components/ui/use-throttled';

/** Reads failed without a run to announce them, so the state is also refetched on this timer. */
const refreshMs = 30_000;

/**
 * The email triggers' state of a workflow, kept fresh while the page is open; null when the person
 * may not read it (it is run state: `runs:read`) or the server has no such route.
 */
export function useTriggerStates(workflowId: string, wanted: boolean): Resource<EmailTriggerState[] | null> {
  const states = useResource(async () => {
    if (!wanted) return null;
    try {
      return (await api.get<TriggerStates>(`/api/workflows/${encodeURIComponent(workflowId)}/triggers`)).triggers;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || (e.status === 404 && e.detail.startsWith('No route')))) return null;
      throw e;
    }
  }, [workflowId, wanted]);
  const reload = useThrottled(states.reload, 2000);
  useLive(['run'], (e) => {
    if (wanted && (e.poll || e.workflow_id === workflowId)) reload();
  });
  useEffect(() => {
    if (!wanted) return undefined;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [wanted, reload]);
  return states;
}

/** Under an email trigger of the definition: its state at each stage where it is deployed. */
export function EmailTriggerStates({ states, index, connector }: { states: Resource<EmailTriggerState[] | null>; index: number; connector: string }) {
  if (states.data === undefined) return states.error ? <div className="small muted">Its state could not be read.</div> : null;
  if (states.data === null) return null;
  const mine = states.data.filter((s) => s.trigger_index === index && s.connector === connector);
  if (mine.length === 0) return <div className="small muted">Not reading: no stage runs a version with this trigger.</div>;
  return (
    <ul className="plain-list small" aria-label={`State of the email trigger on ${connector}`}>
      {mine.map((s) => <li key={s.stage}><StateLine state={s} /></li>)}
    </ul>
  );
}

function StateLine({ state: s }: { state: EmailTriggerState }) {
  const skipped = s.last_skipped;
  const reason = skipped ? (skipped.error.problems?.[0] ? `${skipped.error.problems[0].path} ${skipped.error.problems[0].message}` : skipped.error.message) : '';
  return (
    <>
      <strong>{s.stage}</strong>
      {s.paused ? ' (paused: its mail waits in the mailbox)' : ''}
      {': '}
      {s.last_polled_at ? <>last {s.last_error ? 'tried' : 'read'} <Ago at={s.last_polled_at} /></> : 'not read yet'}
      {s.cursor.last_uid !== null ? <span className="muted">, at message UID {s.cursor.last_uid}</span> : null}
      {'; '}
      {s.skipped_count === 0 ? 'no message skipped' : (
        <span title="Messages whose input broke the contract: no run was started for them">
          <strong>{s.skipped_count} skipped</strong>
          {skipped ? ` (last: message UID ${skipped.uid}, ${reason})` : null}
        </span>
      )}
      {s.last_error ? (
        <p className="error" role="alert">
          Cannot read the mailbox: {s.last_error.message}
          {s.last_error.hint ? <span className="muted"> {s.last_error.hint}</span> : null}
        </p>
      ) : null}
    </>
  );
}
