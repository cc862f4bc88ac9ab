// The observe slice owns what Keel sees of every workflow: spans (its own runs' and those sent over
// OTLP by external workflows), redaction before anything is stored, OTLP export, hourly metric
// rollups, drift, monitors with their incidents and stop conditions, and retention.
export { runTraceId, keelSpanId, spanKinds, spanStatuses, traceIdPattern, spanIdPattern } from './span.js';
export type { SpanRecord, SpanKind, SpanStatus, SpanEvent, Attributes, AttributeValue } from './span.js';
export { insertSpans, readTrace, spansAfter, listTraces, type StoredSpan, type TraceSummary } from './span-store.js';
export { createRedactor, type Redactor } from './redaction.js';
export { addToRollups, hourOf, latencyBounds, latencyBucket, type RunFacts } from './rollup.js';
export { createTracer, type Tracer, type TracerOptions } from './tracer.js';
export { createLeaderLoop, type LeaderLoop } from './leader-loop.js';
export { confidenceBin, lengthBin } from './run-facts.js';
