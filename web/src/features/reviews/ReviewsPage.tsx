// The review queue, keyboard first: the list of open tasks for the person's roles beside the selected
// task (below it, or on its own view with a back link, on a phone). The URL holds the selection
// (/reviews/{id}) and the filters (?order=urgent&workflow=...), so a task can be linked and reloaded.
// The page owns what the person typed per task (drafts) and the last alert per task, so neither is
// lost when the task is read again after a conflict or the person moves away and back.
import { useCallback, useRef, useState } from 'react';
import { api } from '../../lib/api';
import type { ReviewDecided, ReviewDetail } from '../../lib/api-types';
import { navigate, useLocation } from '../../lib/router';
import { useResource } from '../../lib/resource';
import { useSession } from '../../lib/session';
import { emptyDraft, type Draft, type PanelAlert, type PanelHandle } from './DecisionPanel';
import { legend, useShortcuts } from './keyboard';
import { QueueFiltersBar, ReviewList } from './ReviewList';
import { ReviewTask } from './ReviewTask';
import { filtersFrom, useQueue, useThrottled, useWorkflows } from './useQueue';

export function ReviewsPage({ selected }: { selected?: string }) {
  const { me } = useSession();
  const { query } = useLocation();
  const filters = filtersFrom(query);
  const search = query.toString() ? `?${query.toString()}` : '';
  const hrefOf = useCallback((id: string) => `/reviews/${encodeURIComponent(id)}${search}`, [search]);
  const backHref = `/reviews${search}`;

  const workflows = useWorkflows();
  const task = useResource<ReviewDetail>(
    () => (selected ? api.get<ReviewDetail>(`/api/reviews/${encodeURIComponent(selected)}`) : Promise.reject(new Error('no task selected'))),
    [selected],
  );
  const reloadTask = useThrottled(task.reload);
  // A change to the open task (decided or escalated elsewhere) is shown at once; a poll (no id) only
  // refreshes the list, so a task is never swapped under a person while they read it without reason.
  const queue = useQueue(filters, (e) => {
    if (selected && e.id === selected) reloadTask();
  });
  const reviews = queue.data;

  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [alerts, setAlerts] = useState<Record<string, PanelAlert | undefined>>({});
  const [flash, setFlash] = useState<string>();
  const panel = useRef<PanelHandle>(null);

  const draft = (selected && drafts[selected]) || emptyDraft;
  const setDraft = useCallback((patch: Partial<Draft>) => {
    if (!selected) return;
    setDrafts((all) => ({ ...all, [selected]: { ...(all[selected] ?? emptyDraft), ...patch } }));
  }, [selected]);
  const setAlert = useCallback((a: PanelAlert | undefined) => {
    if (selected) setAlerts((all) => ({ ...all, [selected]: a }));
  }, [selected]);

  /** j/k: the row below or above the selected one (the first or last when none is), opened. */
  const move = (step: 1 | -1) => {
    if (!reviews || reviews.length === 0) return;
    const at = reviews.findIndex((r) => r.id === selected);
    const next = at === -1 ? (step === 1 ? 0 : reviews.length - 1) : Math.min(reviews.length - 1, Math.max(0, at + step));
    const id = reviews[next]!.id;
    if (id !== selected) {
      setFlash(undefined);
      navigate(hrefOf(id));
      // Keep the opened row in view in a long list.
      requestAnimationFrame(() => document.querySelector(`tr[data-review="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' }));
    }
  };

  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    a: () => panel.current?.approve(),
    e: () => panel.current?.edit(),
    r: () => panel.current?.reject(),
    x: () => panel.current?.escalate(),
    c: () => panel.current?.claim(),
  });

  /** After a decision: say what happened, forget what was typed for it, and open the next task. */
  const onDecided = (result: ReviewDecided, decision: string) => {
    const rows = reviews ?? [];
    const at = rows.findIndex((r) => r.id === result.id);
    const rest = rows.filter((r) => r.id !== result.id);
    const next = at === -1 ? rest[0] : (rows[at + 1] ?? rows[at - 1]);
    setDrafts(({ [result.id]: _gone, ...others }) => others);
    setAlerts(({ [result.id]: _gone, ...others }) => others);
    setFlash(decisionMessage(result, decision, result.title ?? result.step_id ?? result.id) + (next ? '' : ' The queue is empty.'));
    navigate(next && next.id !== result.id ? hrefOf(next.id) : backHref);
    queue.reload();
  };

  return (
    <div className={`rq-page${selected ? ' rq-has-task' : ''}`}>
      <div className="rq-list">
        <h1>Review queue</h1>
        <QueueFiltersBar filters={filters} workflows={workflows} count={reviews?.length} />
        {flash ? <p className="ok" role="status">{flash}</p> : null}
        <ReviewList reviews={reviews} error={queue.error} selected={selected} workflows={workflows} me={me.email} hrefOf={hrefOf} />
        <Legend />
      </div>
      <div className="rq-task">
        {selected ? (
          <>
            {flash ? <p className="ok rq-flash-narrow" role="status">{flash}</p> : null}
            <ReviewTask
              key={selected} task={task} workflow={task.data ? workflows.get(task.data.workflow_id) : undefined} me={me.email}
              draft={draft} setDraft={setDraft} alert={alerts[selected]} setAlert={setAlert} onDecided={onDecided} handle={panel} backHref={backHref}
              onChanged={() => { task.reload(); queue.reload(); }}
            />
          </>
        ) : (
          <p className="muted rq-empty hide-narrow">Press <kbd>j</kbd> to open the first task, or choose one from the list.</p>
        )}
      </div>
    </div>
  );
}

function decisionMessage(r: ReviewDecided, decision: string, what: string): string {
  if (r.outcome === 'recorded') return `Your approval of “${what}” is recorded: ${r.approvals ?? '?'} of ${r.quorum}; it waits for more approvers.`;
  if (r.outcome === 'escalated') return `“${what}” escalated to ${r.assigned_role ?? 'the next role'}.`;
  const verb = decision === 'edit' ? 'Edited and approved' : r.status === 'rejected' ? 'Rejected' : 'Approved';
  return `${verb} “${what}”.${r.run_id ? (r.status === 'rejected' ? '' : ' The run goes on.') : ' The caller gets the decision.'}`;
}

function Legend() {
  return (
    <aside className="rq-legend hide-narrow" aria-label="Keyboard shortcuts">
      <h2>Keys</h2>
      <dl>
        {legend.map(([keys, what]) => (
          <div key={what}>
            <dt>{keys.map((k, i) => <span key={k}>{i > 0 ? (keys.length === 2 && keys[0] === 'Ctrl' ? ' + ' : ' / ') : ''}<kbd>{k}</kbd></span>)}</dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
