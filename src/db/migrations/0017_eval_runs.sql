-- Eval runs: a version executed in sandbox against one dataset version and scored case by case.
--
-- Runs Keel starts itself to try a version (an eval, a shadow of a live run, a rollback drill) are
-- ordinary durable runs with a purpose other than 'live': they run on the sandbox stage, so side
-- effects are intercepted and recorded, never sent; nobody is asked to review them (the task they
-- would have opened is recorded in their output instead); and the live figures (traces, rollups,
-- overview, flow, review metrics, the runs list by default) leave them out.
ALTER TABLE runs ADD COLUMN purpose text NOT NULL DEFAULT 'live' CHECK (purpose IN ('live', 'eval', 'shadow', 'drill'));

CREATE TABLE eval_runs (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  dataset text NOT NULL,
  dataset_version int NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'canceled')),
  concurrency int NOT NULL CHECK (concurrency >= 1),
  threshold double precision NOT NULL,
  -- The version's evals section as it was when the run started (the scorers that judge every case).
  evals jsonb NOT NULL,
  total int NOT NULL,
  done int NOT NULL DEFAULT 0,
  passed int NOT NULL DEFAULT 0,
  -- Set when the last case is scored: per-scorer figures, the pass rate's interval, cost and latency.
  summary jsonb,
  error jsonb,
  started_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX eval_runs_workflow ON eval_runs (workflow_id, created_at DESC);
CREATE INDEX eval_runs_version ON eval_runs (version_id, created_at DESC);
CREATE INDEX eval_runs_active ON eval_runs (created_at) WHERE status = 'running';

-- One row per case of the dataset version, written when the eval starts: pending until the runner
-- starts its run, running until that run ends, then scored.
CREATE TABLE eval_results (
  eval_run_id text NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
  case_id text NOT NULL,
  position int NOT NULL,
  run_id text REFERENCES runs (id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'scored')),
  passed boolean,
  scores jsonb,
  run_status text,
  error jsonb,
  cost_usd double precision,
  latency_ms double precision,
  scored_at timestamptz,
  PRIMARY KEY (eval_run_id, case_id)
);
CREATE INDEX eval_results_pending ON eval_results (eval_run_id, position) WHERE status = 'pending';
CREATE INDEX eval_results_running ON eval_results (eval_run_id) WHERE status = 'running';
CREATE INDEX eval_results_run ON eval_results (run_id) WHERE run_id IS NOT NULL;
