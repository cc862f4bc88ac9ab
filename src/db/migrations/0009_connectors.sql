-- Connectors, their secrets and the grants that let one workflow use one scope of one connector.
-- A connector's config holds secret *names*; the values live only in connector_secrets, encrypted
-- with AES-256-GCM under the instance key (never in plain text, never in config, never in audit).

CREATE TABLE connectors (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  kind text NOT NULL,
  title text NOT NULL,
  owner text NOT NULL,
  -- The person or team that holds the credential at the source system (who rotates it).
  credential_owner text,
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Hosts the egress guard lets this connector reach even when they resolve to private addresses.
  allow_hosts text[] NOT NULL DEFAULT '{}',
  -- Secrets older than this many days are due for rotation; NULL: no rotation policy.
  rotation_days integer CHECK (rotation_days IS NULL OR rotation_days > 0),
  -- 'file' (connectors/*.yaml, synced at start) or 'api' (made through the API, CLI or dashboard).
  source text NOT NULL CHECK (source IN ('file', 'api')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connector_secrets (
  connector_id text NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  version integer NOT NULL CHECK (version > 0),
  -- Which instance key sealed it (a key id derived from the key, never the key).
  key_id text NOT NULL,
  iv bytea NOT NULL,
  ciphertext bytea NOT NULL,
  tag bytea NOT NULL,
  -- A digest of the value under the key, so a re-sync of the same value makes no new version.
  fingerprint text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotate_by timestamptz,
  -- Set when a newer version replaces it; the current version is the one with retired_at NULL.
  retired_at timestamptz,
  PRIMARY KEY (connector_id, name, version)
);
CREATE UNIQUE INDEX connector_secrets_current ON connector_secrets (connector_id, name) WHERE retired_at IS NULL;

CREATE TABLE grants (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id),
  connector_id text NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  scope text NOT NULL,
  status text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'revoked')),
  reason text,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  expires_at timestamptz,
  last_used_at timestamptz,
  use_count bigint NOT NULL DEFAULT 0
);
-- One live request or grant per workflow, connector and scope; history (rejected, revoked) stays.
CREATE UNIQUE INDEX grants_live ON grants (workflow_id, connector_id, scope) WHERE status IN ('requested', 'approved');
CREATE INDEX grants_connector ON grants (connector_id, status);
