// A workflow's metrics over a chosen window and stage (GET /api/metrics, from the hourly rollups the
// tracer keeps): headline figures, the business metric against its baseline and target, and charts
// per bucket. The rollups move in the background, so the figures are asked for again every 10 s.
// The drift and monitors panels below read the same window and stage.
import { useMemo, useRef } from 'react';
import { api, ApiError } from '../../lib/api';
import type { Metrics } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { setQuery } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { TimeChart } from '../../components/ui/TimeChart';
import { usePolling } from '../../components/ui/use-polling';
import { BusinessMetricLine, Headline } from './Headline';
import { chartsOf } from './metric-charts';
import { DriftPanel } from './DriftPanel';
import { MonitorsPanel } from './MonitorsPanel';
import { periods, stageOptions, type Period, type StageChoice } from './periods';
import './metrics.css';

const refreshMs = 10_000;

export function MetricsSection({ workflowId, period, stage }: { workflowId: string; period: Period; stage: StageChoice }) {
  const metrics = useResource(async () => {
    try {
      return await api.get<Metrics>('/api/metrics', { workflow: workflowId, from: period.value, bucket: period.bucket, stage: stage === 'all' ? undefined : stage });
    } catch (e) {
      // Someone who may read the workflow but not its runs sees no figures (the server says 403).
      if (e instanceof ApiError && e.status === 403) return null;
      throw e;
    }
  }, [workflowId, period.value, stage]);
  usePolling(metrics.reload, refreshMs);
  // While another period or stage loads, the last figures stay (charts keep their open tables) and
  // the section says it is loading, rather than blanking the charts.
  const last = useRef<{ workflowId: string; metrics: Metrics | null }>(undefined);
  if (metrics.data !== undefined) last.current = { workflowId, metrics: metrics.data };
  const m = metrics.data ?? (last.current?.workflowId === workflowId ? last.current.metrics : undefined);
  const stale = metrics.data === undefined && m !== undefined;
  const charts = useMemo(() => (m ? chartsOf(m) : []), [m]);
  const where = stage === 'all' ? 'all stages' : stage;

  return (
    <>
      <section aria-labelledby="metrics-heading" className="metrics" aria-busy={stale}>
        <h2 id="metrics-heading">Metrics</h2>
        <div className="filters">
          <label>
            Period
            <select value={period.value} onChange={(e) => setQuery({ metrics: e.target.value === '24h' ? undefined : e.target.value })}>
              {periods.map((p) => <option key={p.value} value={p.value}>{p.label}</option>)}
            </select>
          </label>
          <label>
            Stage
            <select value={stage} onChange={(e) => setQuery({ metrics_stage: e.target.value === 'production' ? undefined : e.target.value })}>
              {stageOptions.map((s) => <option key={s} value={s}>{s === 'all' ? 'all stages' : s}</option>)}
            </select>
          </label>
          {stale ? <span className="muted small" role="status">Loading…</span>
            : m ? <span className="muted small">{m.version !== null ? `version ${m.version}, ` : ''}runs that ended at {where}; figures lag the runs by a few seconds</span> : null}
        </div>
        <ErrorNote error={metrics.error} />
        {m === undefined ? (metrics.error ? null : <Loading what="the metrics" />) : m === null ? (
          <p className="notice">You may read this workflow but not its runs, so its figures are not shown.</p>
        ) : (
          <>
            <Headline metrics={m} />
            {m.business_metric ? <BusinessMetricLine metric={m.business_metric} /> : null}
            {m.failures_by_class.length > 0 ? (
              <p className="small">
                <span className="muted">Failures by error: </span>
                {m.failures_by_class.map((f, i) => <span key={f.error_class}>{i > 0 ? ', ' : ''}<code>{f.error_class}</code> {f.runs}</span>)}
              </p>
            ) : null}
            {m.totals.runs === 0 && m.totals.model_calls === 0 ? (
              <p className="muted">No run ended at {where} in this period{stage === 'production' ? ': pick another stage to see sandbox or testing runs' : ''}.</p>
            ) : null}
            <div className="chart-grid">
              {charts.map((spec) => <TimeChart key={spec.title} spec={spec} />)}
            </div>
          </>
        )}
      </section>
      {m === null ? null : <DriftPanel workflowId={workflowId} period={period} stage={stage === 'all' ? 'production' : stage} />}
      <MonitorsPanel workflowId={workflowId} />
    </>
  );
}
