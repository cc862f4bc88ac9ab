// /traces/{traceId}: one trace on its own page (GET /api/traces/{traceId}), for the traces external
// workflows send over OTLP and for a Keel run's trace linked from its run page.
import { api, ApiError } from '../../lib/api';
import type { Trace } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { usePolling } from '../../components/ui/use-polling';
import { TraceFacts, TraceWaterfall } from './TraceWaterfall';

/** Spans of a trace may arrive in several OTLP batches, so an open trace is read again now and then. */
const refreshMs = 10_000;

export function TracePage({ traceId }: { traceId: string }) {
  const trace = useResource(() => api.get<Trace>(`/api/traces/${encodeURIComponent(traceId)}`), [traceId]);
  usePolling(trace.reload, refreshMs);
  const t = trace.data;
  if (!t) {
    return (
      <>
        <h1>Trace <code>{traceId}</code></h1>
        <ErrorNote error={trace.error} />
        {trace.error instanceof ApiError && trace.error.status === 404 ? <p><Link to="/">Back to the workflows</Link></p> : null}
        {trace.error ? null : <Loading what="the trace" />}
      </>
    );
  }
  const root = t.spans.find((s) => s.parent_span_id === null);
  return (
    <>
      <p className="muted small">
        <Link to="/">Workflows</Link> / <Link to={`/workflows/${encodeURIComponent(t.workflow_id)}`}>{t.workflow_id}</Link> / trace
      </p>
      <h1 className="run-title">{root ? root.name : 'Trace'} <code className="muted small">{t.trace_id}</code></h1>
      <ErrorNote error={trace.error} />
      {t.run_id ? <p>The trace of Keel run <Link to={`/runs/${encodeURIComponent(t.run_id)}`}><code>{t.run_id}</code></Link>.</p> : null}
      {!root ? <p className="notice">No root span yet: the rest of the trace has not arrived (or was not sent).</p> : null}
      <TraceFacts trace={t} />
      <TraceWaterfall trace={t} />
    </>
  );
}
