// What needs a person now, above the overview and a workflow's page: stages that are paused (by a
// person, or by a monitor's stop condition) with the reason and a Resume button for those who may,
// and incidents no one has acknowledged yet. Pauses and incidents come from background loops, not
// the event stream, so both are asked for again every 10 s.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, describeError } from '../../lib/api';
import type { Deployment, Incident, IncidentList, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { useCan } from '../../lib/session';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import './incidents.css';

const refreshMs = 10_000;

interface Attention {
  workflow: Pick<Workflow, 'id' | 'title'>;
  paused: Deployment[];
  incidents: Incident[];
}

/** Who paused a stage, in words: a monitor's stop condition, or the person. */
export function pausedByText(pausedBy: string | null): string {
  if (!pausedBy) return 'someone';
  return pausedBy.startsWith('monitor:') ? 'a stop condition' : pausedBy;
}

export function AttentionBanner({ workflowId, onChange }: { workflowId?: string; onChange?(): void }) {
  const data = useResource(async (): Promise<Attention[]> => {
    const [workflows, incidents] = await Promise.all([
      workflowId
        ? api.get<Workflow>(`/api/workflows/${encodeURIComponent(workflowId)}`).then((w) => [w])
        : api.get<{ workflows: Workflow[] }>('/api/workflows').then((r) => r.workflows),
      api.get<IncidentList>('/api/incidents', { status: 'open', workflow: workflowId, limit: 200 }).then((r) => r.incidents),
    ]);
    const titles = new Map(workflows.map((w) => [w.id, w.title]));
    const ids = [...new Set([...workflows.filter((w) => w.deployments.some((d) => d.paused)).map((w) => w.id), ...incidents.map((i) => i.workflow_id)])];
    return ids.map((id) => ({
      workflow: { id, title: titles.get(id) ?? id },
      paused: workflows.find((w) => w.id === id)?.deployments.filter((d) => d.paused) ?? [],
      incidents: incidents.filter((i) => i.workflow_id === id),
    }));
  }, [workflowId]);
  usePolling(data.reload, refreshMs);
  const items = data.data ?? [];
  // A stage paused or resumed elsewhere (a monitor, another person) changes what the page shows too.
  const pausedKey = data.data ? items.flatMap((a) => a.paused.map((d) => `${d.workflow_id}/${d.stage}`)).join(',') : undefined;
  const lastKey = useRef(pausedKey);
  const notify = useRef(onChange);
  notify.current = onChange;
  useEffect(() => {
    if (pausedKey === undefined) return;
    if (lastKey.current !== undefined && lastKey.current !== pausedKey) notify.current?.();
    lastKey.current = pausedKey;
  }, [pausedKey]);
  if (items.length === 0) return null;
  const changed = () => data.reload();
  return (
    <section className="attention" aria-label="Needs attention">
      {items.map((a) => <AttentionItem key={a.workflow.id} item={a} named={!workflowId} onChange={changed} />)}
    </section>
  );
}

function AttentionItem({ item: a, named, onChange }: { item: Attention; named: boolean; onChange(): void }) {
  const title = named ? <><Link to={`/workflows/${encodeURIComponent(a.workflow.id)}`}>{a.workflow.title}</Link>: </> : null;
  return (
    <div className="attention-item" data-workflow={a.workflow.id}>
      {a.paused.map((d) => <PausedStage key={d.stage} deployment={d} title={title} workflowTitle={a.workflow.title} onResumed={onChange} />)}
      {a.incidents.length > 0 ? (
        <p className="attention-incidents">
          {title}
          <strong>{a.incidents.length} open incident{a.incidents.length === 1 ? '' : 's'}</strong>:{' '}
          {a.incidents.slice(0, 3).map((i, n) => <span key={i.id}>{n > 0 ? '; ' : ''}{i.monitor_name} at {i.stage} ({i.summary})</span>)}
          {a.incidents.length > 3 ? `; and ${a.incidents.length - 3} more` : ''}.{' '}
          <Link to={`/incidents?workflow=${encodeURIComponent(a.workflow.id)}`}>See the incidents</Link>
        </p>
      ) : null}
    </div>
  );
}

function PausedStage({ deployment: d, title, workflowTitle, onResumed }: { deployment: Deployment; title: ReactNode; workflowTitle: string; onResumed(): void }) {
  const mayResume = useCan('deployments:write');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const resume = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/workflows/${encodeURIComponent(d.workflow_id)}/deployments/${d.stage}/resume`, {});
      onResumed();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="attention-paused">
      <p>
        {title}
        <strong>{d.stage} is paused</strong> by {pausedByText(d.paused_by)}{d.paused_at ? <> (<Ago at={d.paused_at} />)</> : null}: new runs are refused or held.
        {' '}<span className="attention-reason">Why: {d.pause_reason ?? <span className="muted">no reason given</span>}</span>
      </p>
      {mayResume ? (
        <button type="button" className="primary" disabled={busy} onClick={() => void resume()}>
          {busy ? 'Resuming…' : `Resume ${d.stage}`}<span className="visually-hidden"> of {workflowTitle}</span>
        </button>
      ) : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </div>
  );
}
