// An external workflow's newest traces (GET /api/workflows/{id}/traces): its runs happen elsewhere
// and arrive as OTLP traces, so this list is where they are opened, newest first, page by page.
import { useState } from 'react';
import { api, describeError } from '../../lib/api';
import type { TraceList, TraceSummary } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { ErrorNote, Loading, Status } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import { formatMs } from '../runs/run-format';
import './traces.css';

const pageSize = 20;
const refreshMs = 10_000;
// OpenTelemetry's status: most scripts leave it unset unless something failed.
const statusWord = { ok: 'succeeded', error: 'failed', unset: 'no_status' } as const;

export function TracesList({ workflowId }: { workflowId: string }) {
  const base = `/api/workflows/${encodeURIComponent(workflowId)}/traces`;
  const first = useResource(() => api.get<TraceList>(base, { limit: pageSize }), [workflowId]);
  usePolling(first.reload, refreshMs);
  const [older, setOlder] = useState<{ traces: TraceSummary[]; next: string | null } | undefined>();
  const [error, setError] = useState<string>();
  const shown = [...(first.data?.traces ?? []), ...(older?.traces ?? []).filter((t) => !first.data?.traces.some((f) => f.trace_id === t.trace_id))];
  const next = older ? older.next : first.data?.next_before ?? null;
  const more = async () => {
    if (!next) return;
    try {
      const page = await api.get<TraceList>(base, { limit: pageSize, before: next });
      setOlder({ traces: [...(older?.traces ?? []), ...page.traces], next: page.next_before });
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <section aria-labelledby="traces-heading">
      <h2 id="traces-heading">Traces</h2>
      <p className="muted small">Its runs, as the traces it sends over OTLP (<code>POST /v1/traces</code>), newest first.</p>
      <ErrorNote error={first.error} />
      {!first.data ? (first.error ? null : <Loading what="traces" />) : shown.length === 0 ? (
        <p className="muted">No trace received yet.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="traces-table" aria-label="Traces">
              <thead>
                <tr><th scope="col">Started</th><th scope="col">Trace</th><th scope="col">Outcome</th><th scope="col" className="num">Duration</th><th scope="col" className="num">Spans</th></tr>
              </thead>
              <tbody>
                {shown.map((t) => (
                  <tr key={t.trace_id} data-trace={t.trace_id}>
                    <td><Ago at={t.started_at} /></td>
                    <td><Link to={`/traces/${t.trace_id}`}>{t.name}</Link> <code className="muted small">{t.trace_id.slice(0, 8)}</code></td>
                    <td><Status value={statusWord[t.status]} /></td>
                    <td className="num">{formatMs(t.duration_ms)}</td>
                    <td className="num">{t.spans}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {error ? <p className="error" role="alert">{error}</p> : null}
          {next ? <button type="button" onClick={() => void more()}>Show older traces</button> : null}
        </>
      )}
    </section>
  );
}
