-- Keel core: the registry (workflows, versions, deployments, schedules), runs and their step
-- attempts, review tasks, and the audit log. Forward-only: never edit this file once landed.

CREATE TABLE workflows (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('managed', 'external')),
  title text NOT NULL,
  owner text NOT NULL,
  team text,
  risk text NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  latest_version_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Immutable: a version is its content hash; deploying the same content again finds this row.
CREATE TABLE workflow_versions (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  number integer NOT NULL,
  content_hash text NOT NULL,
  definition jsonb NOT NULL,
  source text NOT NULL,
  source_name text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, content_hash),
  UNIQUE (workflow_id, number)
);

CREATE TABLE deployments (
  workflow_id text NOT NULL REFERENCES workflows (id),
  stage text NOT NULL CHECK (stage IN ('design', 'testing', 'sandbox', 'production')),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  paused boolean NOT NULL DEFAULT false,
  deployed_by text NOT NULL,
  deployed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, stage)
);

CREATE TABLE deployment_history (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  stage text NOT NULL,
  action text NOT NULL CHECK (action IN ('deploy', 'pause', 'resume')),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  previous_version_id text REFERENCES workflow_versions (id),
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_history_workflow ON deployment_history (workflow_id, created_at);

-- One row per schedule trigger of a deployed stage; the scheduler leader moves next_fire_at on.
CREATE TABLE schedules (
  workflow_id text NOT NULL REFERENCES workflows (id),
  stage text NOT NULL,
  trigger_index integer NOT NULL,
  cron text NOT NULL,
  timezone text,
  input jsonb NOT NULL DEFAULT '{}',
  next_fire_at timestamptz NOT NULL,
  PRIMARY KEY (workflow_id, stage, trigger_index)
);

-- A run is also its own queue entry: status, available_at and the lease columns are what workers
-- claim with FOR UPDATE SKIP LOCKED. lease_token fences every write a worker makes.
CREATE TABLE runs (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  stage text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'rejected', 'outcome_unknown', 'canceled')),
  wait_reason text CHECK (wait_reason IN ('retry', 'review', 'outcome_unknown')),
  trigger_kind text NOT NULL CHECK (trigger_kind IN ('webhook', 'schedule', 'manual')),
  dedupe_key text,
  input jsonb NOT NULL,
  state jsonb NOT NULL DEFAULT '{}',
  current_step text,
  output jsonb,
  error jsonb,
  available_at timestamptz NOT NULL DEFAULT now(),
  lease_token uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  claims integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE UNIQUE INDEX runs_dedupe ON runs (workflow_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX runs_ready ON runs (available_at) WHERE status = 'queued';
CREATE INDEX runs_leased ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_workflow_created ON runs (workflow_id, created_at DESC);
CREATE INDEX runs_created ON runs (created_at DESC);

CREATE TABLE step_attempts (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id),
  step_id text NOT NULL,
  kind text NOT NULL,
  attempt integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'waiting')),
  lease_token uuid NOT NULL,
  worker text NOT NULL,
  output jsonb,
  error jsonb,
  delivery text CHECK (delivery IN ('idempotent', 'check-then-act', 'unsafe')),
  idempotency_key text,
  effect text CHECK (effect IN ('started', 'done')),
  next_step text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  UNIQUE (run_id, step_id, attempt)
);
CREATE INDEX step_attempts_run ON step_attempts (run_id, id);

-- A review may be decided before its run reaches the step: the open row is keyed by (run, step).
-- A decision the run has used is retired (retired_at), so a loop back to the step asks again.
CREATE TABLE reviews (
  id text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id),
  step_id text NOT NULL,
  workflow_id text NOT NULL REFERENCES workflows (id),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'edited', 'rejected', 'expired')),
  reason text NOT NULL DEFAULT 'manual',
  title text,
  proposed jsonb,
  decided_output jsonb,
  comment text,
  assigned_role text,
  assigned_to text,
  due_at timestamptz,
  decided_by text,
  decided_at timestamptz,
  retired_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reviews_open_per_step ON reviews (run_id, step_id) WHERE retired_at IS NULL;
CREATE INDEX reviews_pending ON reviews (due_at) WHERE status = 'pending';

CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  actor text NOT NULL,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id, id);
