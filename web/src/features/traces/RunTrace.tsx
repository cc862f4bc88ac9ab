// The run page's Trace section (GET /api/runs/{id}/trace): the spans the tracer wrote for the run,
// as a waterfall. The tracer writes them a second or two after the work they describe, so until the
// run has ended and its root span is there, the section asks again every few seconds.
import { api, ApiError } from '../../lib/api';
import type { Trace } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { usePolling } from '../../components/ui/use-polling';
import { TraceFacts, TraceWaterfall } from './TraceWaterfall';

const refreshMs = 3_000;

export function RunTrace({ runId, finished }: { runId: string; finished: boolean }) {
  const trace = useResource(async () => {
    try {
      return await api.get<Trace>(`/api/runs/${encodeURIComponent(runId)}/trace`);
    } catch (e) {
      // No span yet: the tracer has not reached this run.
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [runId]);
  const t = trace.data;
  const complete = finished && Boolean(t?.spans.some((s) => s.parent_span_id === null));
  usePolling(trace.reload, refreshMs, !complete);
  return (
    <section aria-labelledby="trace-heading">
      <h2 id="trace-heading">Trace</h2>
      <ErrorNote error={trace.error} />
      {t === undefined ? (trace.error ? null : <Loading what="the trace" />) : t === null ? (
        <p className="muted" role="status">No spans yet: the tracer writes a run's spans a second or two after each step ends.</p>
      ) : (
        <>
          <TraceFacts trace={t} />
          <TraceWaterfall trace={t} />
          <p className="small">
            <Link to={`/traces/${t.trace_id}`}>Open the trace on its own page</Link> <span className="muted">(trace id <code>{t.trace_id}</code>, for OpenTelemetry tools)</span>
            {!complete ? <span className="muted"> · more spans arrive as the run goes on</span> : null}
          </p>
        </>
      )}
    </section>
  );
}
