-- Shadow runs: a candidate version run in sandbox on copies of a stage's live events (the parallel
-- run of the seeds), each copy paired with the live run it copies and compared once both ended:
-- with the live version's output, and with what people decided on the live run's review.
CREATE TABLE shadow_runs (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  candidate_version_id text NOT NULL REFERENCES workflow_versions (id),
  live_stage text NOT NULL DEFAULT 'production',
  -- What is compared: { path: JSONata over { input, steps }, step: the step whose review decisions are people's answer (or null) }.
  compare jsonb NOT NULL,
  -- mirror: every new live run of the stage while the shadow runs, up to max_runs; replay: the last
  -- replay_limit live runs that had ended when it started, all chosen at once.
  mode text NOT NULL CHECK (mode IN ('mirror', 'replay')),
  replay_limit int CHECK (replay_limit >= 1),
  max_runs int NOT NULL CHECK (max_runs >= 1),
  concurrency int NOT NULL CHECK (concurrency >= 1),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped', 'finished')),
  -- Live runs created from this moment on are mirrored (the start's own time: nothing from before).
  since timestamptz NOT NULL,
  -- The last live run copied (mirror): where the next pass looks from (less a grace window).
  cursor_at timestamptz,
  cursor_run_id text,
  -- Set when the last pair is compared: agreement, people, cost and latency figures.
  summary jsonb,
  started_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX shadow_runs_workflow ON shadow_runs (workflow_id, created_at DESC);
CREATE INDEX shadow_runs_open ON shadow_runs (created_at) WHERE status <> 'finished';

-- One row per live run copied: pending (replay, not started yet), running (until both runs ended),
-- compared. Values are the compared values only, never whole run states.
CREATE TABLE shadow_pairs (
  shadow_id text NOT NULL REFERENCES shadow_runs (id) ON DELETE CASCADE,
  live_run_id text NOT NULL REFERENCES runs (id),
  trial_run_id text REFERENCES runs (id),
  position int NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'compared')),
  live_status text,
  -- `refused` when the candidate's input contract refused the live event.
  shadow_status text,
  error jsonb,
  agreement_live boolean,
  -- Null when no person decided, or when the person rejected (counted apart: people_decision).
  agreement_people boolean,
  people_decision text CHECK (people_decision IN ('approved', 'edited', 'rejected')),
  review_id text,
  live_output jsonb,
  shadow_output jsonb,
  people_output jsonb,
  live_cost_usd double precision,
  shadow_cost_usd double precision,
  live_latency_ms double precision,
  shadow_latency_ms double precision,
  created_at timestamptz NOT NULL DEFAULT now(),
  compared_at timestamptz,
  PRIMARY KEY (shadow_id, live_run_id)
);
CREATE INDEX shadow_pairs_open ON shadow_pairs (shadow_id, position) WHERE status <> 'compared';
CREATE INDEX shadow_pairs_trial ON shadow_pairs (trial_run_id) WHERE trial_run_id IS NOT NULL;
