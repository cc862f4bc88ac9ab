// The observe slice owns what Keel sees of every workflow: spans (its own runs' and those sent over
// OTLP by external workflows), redaction before anything is stored, OTLP export, hourly metric
// rollups, drift, monitors with their incidents and stop conditions, and retention.
export { runTraceId, keelSpanId, spanKinds, spanStatuses, traceIdPattern, spanIdPattern } from './span.js';
export type { SpanRecord, SpanKind, SpanStatus, SpanEvent, Attributes, AttributeValue } from './span.js';
export { insertSpans, spanKey, readTrace, spansAfter, listTraces, type StoredSpan, type TraceSummary } from './span-store.js';
export { createRedactor, type Redactor } from './redaction.js';
export { addToRollups, hourOf, latencyBounds, latencyBucket, type RunFacts } from './rollup.js';
export { createTracer, type Tracer, type TracerOptions } from './tracer.js';
export { createLeaderLoop, type LeaderLoop } from './leader-loop.js';
export { confidenceBin, lengthBin } from './run-facts.js';
export { createOtlpExporter, type OtlpExporter, type OtlpExporterOptions, type ExportPass } from './otlp-export.js';
export { insertNewSpans } from './span-store.js';
export { registerOtlpRoutes, otlpErrorResponse, isOtlpPath, pricesFrom, defaultOtlpBodyLimitBytes, type OtlpRouteDeps } from './otlp-routes.js';
export { ingestTraces, type IngestOutcome, type IngestOptions } from './otlp/ingest.js';
export { decodeTraceRequestProtobuf } from './otlp/decode-protobuf.js';
export { decodeTraceRequestJson } from './otlp/decode-json.js';
export type { OtlpRequest, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan } from './otlp/request.js';
export { readMetrics, metricBuckets, maxBuckets, type Metrics, type MetricsQuery, type MetricBucket, type SeriesPoint } from './metrics.js';
export { percentileOf, figuresOf, businessMetric, measureValue, type Figures, type BusinessMetric, type Counters, type Histogram } from './metric-figures.js';
export { metricsSchema, metricFiguresSchema, businessMetricSchema, traceListSchema, traceSchema, traceSummarySchema, spanSchema } from './metrics-schemas.js';
export { registerObserveRoutes, type ObserveRouteDeps } from './metrics-routes.js';
export { readPrometheusFigures, renderPrometheus, prometheusContentType, latencyBoundsSeconds, type PrometheusFigures } from './prometheus.js';
export { readDrift, populationStability, psiLevel, windowsAt, type DriftReport, type FeatureDrift } from './drift.js';
export { listMonitorRules, evaluateRule, fileMonitorKey, type MonitorRule, type Verdict } from './monitor-rules.js';
export { listIncidents, getIncident, acknowledgeIncident, openIncident, type IncidentRow, type IncidentNotification } from './incidents.js';
export { createMonitorLoop, type MonitorLoop, type MonitorLoopOptions, type MonitorPass } from './monitor-loop.js';
export { registerMonitorRoutes, type MonitorRouteDeps } from './monitor-routes.js';
export { createRetention, type Retention, type RetentionOptions, type RetentionPass } from './retention.js';
export { monitorListSchema, monitorViewSchema, incidentSchema, incidentListSchema, driftSchema } from './monitor-schemas.js';
