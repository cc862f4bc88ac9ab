-- Change requests: a change to a production workflow's prompts, model settings, grants or approval
-- boundary is asked for with its diff against what production runs, and decided by the owner or a
-- named approver before it is promoted. The diff is stored as it was shown, so a decision always
-- refers to exactly what the decider read.
CREATE TABLE change_requests (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  -- What production ran when the change was asked for; the diff is against it.
  from_version_id text NOT NULL REFERENCES workflow_versions (id),
  to_version_id text NOT NULL REFERENCES workflow_versions (id),
  areas text[] NOT NULL,
  diff jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'withdrawn')),
  requested_by text NOT NULL,
  reason text NOT NULL,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'open') = (decided_at IS NULL)),
  CHECK (cardinality(areas) > 0)
);
-- At most one open request per target version: a second ask while one waits is a conflict.
CREATE UNIQUE INDEX change_requests_open ON change_requests (workflow_id, to_version_id) WHERE status = 'open';
CREATE INDEX change_requests_workflow ON change_requests (workflow_id, created_at DESC);
