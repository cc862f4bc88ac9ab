-- Monitors: rules over a workflow's rollups, evaluated on a schedule. Rules written in a workflow
-- file live in its deployed version's definition (nothing to sync); rules created through the API
-- live here. Every rule has a state (keyed `file:<workflow>:<stage>:<name>` or the API monitor's id),
-- and each time it starts firing an incident opens; the incident stays in the dashboard until a
-- person acknowledges it, whether or not the condition has cleared meanwhile.
CREATE TABLE monitors (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  name text NOT NULL,
  -- The rule as a workflow file writes it (src/spec/monitor-schema.ts), defaults filled in.
  rule jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_by text,
  deleted_at timestamptz
);
CREATE UNIQUE INDEX monitors_live_name ON monitors (workflow_id, name) WHERE deleted_at IS NULL;

CREATE TABLE monitor_states (
  monitor_key text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  state text NOT NULL CHECK (state IN ('ok', 'firing', 'no_data')),
  value double precision,
  detail jsonb NOT NULL DEFAULT '{}',
  evaluated_at timestamptz NOT NULL,
  changed_at timestamptz NOT NULL
);

CREATE TABLE incidents (
  id text PRIMARY KEY,
  monitor_key text NOT NULL,
  workflow_id text NOT NULL REFERENCES workflows (id),
  monitor_name text NOT NULL,
  stage text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'acknowledged')),
  summary text NOT NULL,
  value double precision,
  threshold double precision,
  detail jsonb NOT NULL DEFAULT '{}',
  -- A stop condition paused the stage when this incident opened.
  paused_stage boolean NOT NULL DEFAULT false,
  -- Per notify entry: { connector, action, status: sent|failed|pending, attempts, error? }.
  notifications jsonb NOT NULL DEFAULT '[]',
  opened_at timestamptz NOT NULL,
  -- When the condition stopped holding (the incident stays until acknowledged).
  cleared_at timestamptz,
  acknowledged_by text,
  acknowledged_at timestamptz,
  note text
);
-- One firing episode per rule at a time.
CREATE UNIQUE INDEX incidents_firing ON incidents (monitor_key) WHERE cleared_at IS NULL;
CREATE INDEX incidents_open ON incidents (opened_at DESC) WHERE status = 'open';
CREATE INDEX incidents_workflow ON incidents (workflow_id, opened_at DESC);
CREATE INDEX incidents_notify ON incidents (opened_at) WHERE notifications @> '[{"status": "pending"}]';
