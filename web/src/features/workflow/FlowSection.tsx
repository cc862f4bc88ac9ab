// Where the runs of a workflow went in a chosen window and stage: the flow from the server, drawn
// over the step order of the file. Without a flow answer the file's own moves are drawn, uncounted.
import { api, ApiError } from '../../lib/api';
import type { Flow } from '../../lib/api-types';
import { useLive } from '../../lib/live';
import { useResource } from '../../lib/resource';
import { setQuery } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { stages } from '../../components/ui/Badges';
import { useThrottled } from '../../components/ui/use-throttled';
import { declaredFlow, stepsOf, type Definition } from './definition';
import { FlowGraph } from './FlowGraph';

export const flowWindows = [
  { value: '1h', label: 'the last hour', ms: 3_600_000 },
  { value: '24h', label: 'the last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'the last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'the last 30 days', ms: 30 * 86_400_000 },
] as const;

export function FlowSection({ id, title, definition, windowValue, stage }: { id: string; title: string; definition: Definition; windowValue: string; stage: string }) {
  const window = flowWindows.find((w) => w.value === windowValue) ?? flowWindows[1];
  const flow = useResource(async () => {
    const until = new Date();
    try {
      return await api.get<Flow>(`/api/workflows/${encodeURIComponent(id)}/flow`, {
        since: new Date(until.getTime() - window.ms).toISOString(), until: until.toISOString(), stage: stage || undefined,
      });
    } catch (e) {
      // A server without the flow route still lets the page draw the file's own moves.
      if (e instanceof ApiError && e.status === 404 && e.detail.startsWith('No route')) return null;
      throw e;
    }
  }, [id, window.value, stage]);
  const reload = useThrottled(flow.reload, 1000);
  useLive(['run'], (e) => {
    if (e.poll || e.workflow_id === id) reload();
  });

  const counted = Boolean(flow.data);
  const shown = flow.data ?? declaredFlow(definition);
  // The server lists a version's declared steps in file order; steps seen only in runs of other
  // versions are left out of the order and placed beside the steps they connect to.
  const declaredIds = new Set(shown.edges.filter((e) => e.declared).flatMap((e) => [e.from, e.to]));
  const stepOrder = flow.data
    ? shown.nodes.filter((n) => declaredIds.has(n.id) && !['trigger', 'approval', 'end'].includes(n.kind)).map((n) => n.id)
    : stepsOf(definition).map((s) => s.id);
  const anyRun = shown.edges.some((e) => e.count > 0);
  return (
    <section aria-labelledby="flow-heading">
      <h2 id="flow-heading">Flow</h2>
      <div className="filters">
        <label>
          Window
          <select value={window.value} onChange={(e) => setQuery({ window: e.target.value === '24h' ? undefined : e.target.value })}>
            {flowWindows.map((w) => <option key={w.value} value={w.value}>{w.label}</option>)}
          </select>
        </label>
        <label>
          Stage
          <select value={stage} onChange={(e) => setQuery({ stage: e.target.value || 'all' })}>
            <option value="">All stages</option>
            {stages.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        {flow.data?.version_number ? <span className="muted small">steps of version {flow.data.version_number}</span> : null}
      </div>
      <ErrorNote error={flow.error} />
      {flow.data === undefined && !flow.error ? <Loading what="the flow" /> : null}
      {flow.data === null ? <p className="notice">This server gives no run counts for flows yet: the moves the file allows are drawn without them.</p> : null}
      {flow.data && !anyRun && shown.nodes.length > 1 ? <p className="muted">No run{stage ? ` at ${stage}` : ''} in {window.label}: every move shows 0.</p> : null}
      {shown.nodes.length > 1 ? (
        <FlowGraph title={title} nodes={shown.nodes} edges={shown.edges} stepOrder={stepOrder} counted={counted} windowLabel={window.label} />
      ) : (
        <p className="muted">This workflow declares no steps: it runs elsewhere and reports its runs to Keel.</p>
      )}
    </section>
  );
}
