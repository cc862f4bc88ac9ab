-- Promotion gates: the sign-offs a stage transition needs, and the rollback drills that count as
-- evidence that the rollback path works for a version.

-- One row per person signing the gate into a stage for one version, in one role. The version's
-- author never signs it; one person fills one role per gate. A statement is required where the gate
-- asks for a written acceptance (into production: the observed error rate of the sandbox sample,
-- kept as it was when signed, so a rate that rose later needs a new sign-off).
CREATE TABLE gate_signoffs (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  stage text NOT NULL CHECK (stage IN ('testing', 'sandbox', 'production')),
  role text NOT NULL,
  signed_by text NOT NULL,
  statement text NOT NULL,
  observed jsonb,
  signed_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by text
);
CREATE UNIQUE INDEX gate_signoffs_role ON gate_signoffs (version_id, stage, role) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX gate_signoffs_person ON gate_signoffs (version_id, stage, signed_by) WHERE revoked_at IS NULL;

-- A rollback drill on the sandbox stage: roll back from the version to the one before, check that a
-- run flowed on it, roll forward again, check that a run flowed on the version. Every step is kept.
CREATE TABLE rollback_drills (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  version_id text NOT NULL REFERENCES workflow_versions (id),
  rolled_back_to text REFERENCES workflow_versions (id),
  status text NOT NULL CHECK (status IN ('running', 'passed', 'failed')),
  steps jsonb NOT NULL DEFAULT '[]',
  error text,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX rollback_drills_version ON rollback_drills (version_id, started_at DESC);
