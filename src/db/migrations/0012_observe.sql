-- Observability: spans shaped as OpenTelemetry spans (Keel's own runs, and spans sent over OTLP by
-- external workflows), hourly metric rollups updated as runs finish (so metric queries never scan
-- spans), and the export cursor of the OTLP exporter.

-- A span: ids are lower-case hex as in OTLP/JSON (trace 32, span 16). Keel's own spans have ids
-- derived from what they describe (the run, the attempt, the model call, the review), so writing
-- them again is a no-op. `attributes` holds OTel attribute values (redacted before they are stored);
-- payloads (inputs, outputs) are attributes too. `id` orders spans as they were stored: the OTLP
-- exporter's cursor and the retention pruner walk it.
CREATE TABLE spans (
  id bigserial PRIMARY KEY,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  workflow_id text NOT NULL REFERENCES workflows (id),
  run_id text,
  source text NOT NULL CHECK (source IN ('keel', 'otlp')),
  name text NOT NULL,
  kind text NOT NULL DEFAULT 'internal' CHECK (kind IN ('internal', 'server', 'client', 'producer', 'consumer')),
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'unset' CHECK (status IN ('unset', 'ok', 'error')),
  status_message text,
  attributes jsonb NOT NULL DEFAULT '{}',
  -- Span events (exceptions, retries) as [{ name, time, attributes }].
  events jsonb,
  -- Resource attributes and instrumentation scope of spans received over OTLP (service.name, ...).
  resource jsonb,
  scope text,
  stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX spans_identity ON spans (trace_id, span_id);
-- A workflow's traces, newest first: their root spans only.
CREATE INDEX spans_workflow_roots ON spans (workflow_id, started_at DESC) WHERE parent_span_id IS NULL;
-- Retention prunes by age; spans arrive roughly in time order, so a BRIN index is enough and costs
-- next to nothing on ingest.
CREATE INDEX spans_stored ON spans USING brin (stored_at);

-- One row per workflow, version, stage and hour: counters summed as runs finish. External
-- workflows' traces count under version '' and stage 'production'. Percentiles come from
-- metric_counts' latency buckets, so a 30-day query reads at most 720 rows per series.
CREATE TABLE metric_hours (
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL,
  stage text NOT NULL,
  hour timestamptz NOT NULL,
  runs integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  rejected integer NOT NULL DEFAULT 0,
  canceled integer NOT NULL DEFAULT 0,
  outcome_unknown integer NOT NULL DEFAULT 0,
  -- Succeeded with no review task: automation coverage is automated / runs ended.
  automated integer NOT NULL DEFAULT 0,
  -- The review tasks of the runs that ended which people decided (approved, edited or rejected), and how.
  reviewed integer NOT NULL DEFAULT 0,
  approved integer NOT NULL DEFAULT 0,
  overridden integer NOT NULL DEFAULT 0,
  escalated integer NOT NULL DEFAULT 0,
  -- From a task's escalation to its decision, summed over escalated tasks decided.
  escalation_ms double precision NOT NULL DEFAULT 0,
  latency_ms double precision NOT NULL DEFAULT 0,
  -- Model steps, and those whose first call gave a valid output (no repair, no retry).
  model_steps integer NOT NULL DEFAULT 0,
  first_try_valid integer NOT NULL DEFAULT 0,
  model_calls integer NOT NULL DEFAULT 0,
  tokens_in bigint NOT NULL DEFAULT 0,
  tokens_out bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  -- The workflow's own business metric, per run where the workflow file says how to read it.
  metric_sum double precision NOT NULL DEFAULT 0,
  metric_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (workflow_id, stage, hour, version_id)
);
CREATE INDEX metric_hours_hour ON metric_hours (hour);

-- Distributions by hour: latency buckets (dimension 'latency', value the bucket's upper bound in ms),
-- failures by error class ('error_class'), and the features drift compares ('label', 'route',
-- 'confidence', 'output_length', each value a label or a bin).
CREATE TABLE metric_counts (
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL,
  stage text NOT NULL,
  hour timestamptz NOT NULL,
  dimension text NOT NULL,
  value text NOT NULL,
  runs integer NOT NULL DEFAULT 0,
  PRIMARY KEY (workflow_id, stage, dimension, hour, version_id, value)
);

-- Where background readers of Keel's tables have got to (the tracer over runs by updated_at, the
-- OTLP exporter over spans by id).
CREATE TABLE observe_cursors (
  name text PRIMARY KEY,
  position_at timestamptz,
  -- The last row's key at position_at (a run id), so rows sharing a timestamp are neither skipped nor repeated.
  position_key text,
  position_id bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);
