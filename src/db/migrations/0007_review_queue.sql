-- The review queue: tasks carry a priority, an SLA with an escalation chain and a hard deadline,
-- a quorum, and who asked (nobody approves their own request). Tasks of external workflows have no
-- run: they come through the API with a callback. Votes, comments and outbound deliveries
-- (callbacks, notifications) are their own tables so that each is one row per fact.
ALTER TABLE reviews ALTER COLUMN run_id DROP NOT NULL;
ALTER TABLE reviews ALTER COLUMN step_id DROP NOT NULL;
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
  CHECK (status IN ('pending', 'escalated', 'approved', 'edited', 'rejected', 'expired'));
ALTER TABLE reviews ADD CONSTRAINT reviews_run_or_external CHECK ((run_id IS NULL) = (step_id IS NULL));

-- 0 low, 1 normal, 2 high, 3 urgent: the queue is worked most urgent first, then oldest due.
ALTER TABLE reviews ADD COLUMN priority smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3);
ALTER TABLE reviews ADD COLUMN requested_by text;
ALTER TABLE reviews ADD COLUMN version_id text;
ALTER TABLE reviews ADD COLUMN stage text;
-- The roles still ahead in the escalation chain, the SLA each level gets, and how far it has gone.
ALTER TABLE reviews ADD COLUMN escalation_chain text[] NOT NULL DEFAULT '{}';
ALTER TABLE reviews ADD COLUMN escalation_level smallint NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN escalated_at timestamptz;
ALTER TABLE reviews ADD COLUMN sla_seconds integer;
ALTER TABLE reviews ADD COLUMN deadline_at timestamptz;
ALTER TABLE reviews ADD COLUMN on_deadline text NOT NULL DEFAULT 'reject' CHECK (on_deadline IN ('reject', 'cancel', 'approve'));
ALTER TABLE reviews ADD COLUMN quorum smallint NOT NULL DEFAULT 1 CHECK (quorum BETWEEN 1 AND 10);
-- An edit keeps what changed, so the override can be read without diffing by hand.
ALTER TABLE reviews ADD COLUMN diff jsonb;
-- The JSON Schema an edited output must match (the step's output schema), when the step has one.
ALTER TABLE reviews ADD COLUMN output_schema jsonb;
-- External tasks: the caller's own reference and where the decision is sent.
ALTER TABLE reviews ADD COLUMN external_ref text;
ALTER TABLE reviews ADD COLUMN callback_url text;

CREATE INDEX reviews_queue ON reviews (priority DESC, due_at, id) WHERE status IN ('pending', 'escalated');
-- A person pulls from the queues of their roles and their own: one index scan each (claims.ts).
CREATE INDEX reviews_queue_role ON reviews (assigned_role, priority DESC, due_at, id) WHERE status IN ('pending', 'escalated');
CREATE INDEX reviews_queue_person ON reviews (assigned_to, priority DESC, due_at, id)
  WHERE status IN ('pending', 'escalated') AND assigned_to IS NOT NULL;
-- Decided tasks stay forever, so a 20 % scale factor would let dead queue entries grow with history;
-- vacuum after a fixed number instead (claims walk past dead index entries until then). Free space
-- on each page lets a claim's update stay HOT instead of adding a second queue entry.
ALTER TABLE reviews SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000, fillfactor = 90);
CREATE INDEX reviews_open_deadline ON reviews (deadline_at) WHERE status IN ('pending', 'escalated');
CREATE INDEX reviews_workflow_decided ON reviews (workflow_id, decided_at) WHERE decided_at IS NOT NULL;
CREATE UNIQUE INDEX reviews_external_ref ON reviews (workflow_id, external_ref) WHERE external_ref IS NOT NULL;
-- Runs with or without a task (automation coverage) and a run's tasks.
CREATE INDEX reviews_run ON reviews (run_id) WHERE run_id IS NOT NULL;
DROP INDEX reviews_pending;
CREATE INDEX reviews_open_due ON reviews (due_at) WHERE status IN ('pending', 'escalated');

-- Who started a run by hand (nobody approves their own request); null for webhooks and schedules.
ALTER TABLE runs ADD COLUMN requested_by text;

CREATE TABLE review_votes (
  review_id text NOT NULL REFERENCES reviews (id),
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, actor)
);

CREATE TABLE review_comments (
  id bigserial PRIMARY KEY,
  review_id text NOT NULL REFERENCES reviews (id),
  actor text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_comments_review ON review_comments (review_id, id);

-- Outbound messages about reviews (decision callbacks, notifications), delivered with retries.
CREATE TABLE review_deliveries (
  id bigserial PRIMARY KEY,
  review_id text NOT NULL REFERENCES reviews (id),
  kind text NOT NULL CHECK (kind IN ('callback', 'notification')),
  event text NOT NULL,
  url text NOT NULL,
  payload jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_deliveries_due ON review_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- A workflow's labelled cases. Decided reviews add theirs with the person's output as expected;
-- the evals work adds import, tags in use and dataset versions.
CREATE TABLE dataset_cases (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  dataset text NOT NULL DEFAULT 'default',
  input jsonb NOT NULL,
  expected jsonb,
  tags text[] NOT NULL DEFAULT '{}',
  source text NOT NULL,
  review_id text REFERENCES reviews (id),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dataset_cases_review ON dataset_cases (workflow_id, dataset, review_id) WHERE review_id IS NOT NULL;
CREATE INDEX dataset_cases_workflow ON dataset_cases (workflow_id, dataset, created_at);

-- Where review events are announced (signed webhooks from keel.yaml, synced at start), so a task's
-- notifications are queued in the same transaction that creates, escalates or expires it.
CREATE TABLE notification_targets (
  name text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('webhook')),
  url text NOT NULL,
  events text[] NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Tasks open when this migration runs keep their old meaning: due was the deadline.
UPDATE reviews SET deadline_at = coalesce(due_at, created_at + interval '1 day'), on_deadline = 'reject'
 WHERE status = 'pending' AND deadline_at IS NULL;
