-- Models: every attempt to call a model is recorded (cost, latency, how it failed), trained local
-- classifiers are kept as immutable artifacts, and a workflow version pins the library versions
-- (prompts, documents) it resolved when it was deployed.

CREATE TABLE model_calls (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id),
  step_id text NOT NULL,
  workflow_id text NOT NULL REFERENCES workflows (id),
  model text NOT NULL,
  provider text NOT NULL,
  model_id text NOT NULL,
  -- The model version the provider said answered (e.g. gpt-4o-mini-2024-07-18).
  response_model text,
  purpose text NOT NULL CHECK (purpose IN ('call', 'repair', 'classify')),
  attempt integer NOT NULL,
  tokens_in integer NOT NULL DEFAULT 0,
  tokens_out integer NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  latency_ms integer NOT NULL,
  error_class text,
  error_message text,
  http_status integer,
  -- Set on the attempt whose answer the step accepted: a run resumed after a crash uses it instead
  -- of paying for the call again.
  answer jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_calls_run ON model_calls (run_id, step_id, id);
CREATE INDEX model_calls_workflow_day ON model_calls (workflow_id, created_at);

CREATE TABLE classifier_versions (
  id text PRIMARY KEY,
  model text NOT NULL,
  number integer NOT NULL,
  -- sha256 of the training file: the same data is not trained twice.
  dataset_hash text NOT NULL,
  dataset_name text NOT NULL,
  artifact bytea NOT NULL,
  labels jsonb NOT NULL,
  info jsonb NOT NULL DEFAULT '{}',
  trained_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model, number),
  UNIQUE (model, dataset_hash)
);

ALTER TABLE workflow_versions ADD COLUMN library_versions jsonb NOT NULL DEFAULT '{}';

-- What a reviewer needs beside the proposed output: why the step stopped, the model and prompt
-- version, the confidence and alternatives, the documents the model saw.
ALTER TABLE reviews ADD COLUMN context jsonb;
