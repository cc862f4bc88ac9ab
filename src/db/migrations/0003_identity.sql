-- Identity: users, global roles, teams, per-workflow membership, sessions, API tokens and one-time
-- sign-in links. Credentials are stored only as hashes. Forward-only: never edit once landed.

CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  display_name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  password_hash text,
  failed_sign_ins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE user_roles (
  user_id text NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('admin', 'builder', 'approver', 'reviewer', 'viewer')),
  granted_by text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);

CREATE TABLE teams (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name ON teams (lower(name));

CREATE TABLE team_members (
  team_id text NOT NULL REFERENCES teams (id),
  user_id text NOT NULL REFERENCES users (id),
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Owners and reviewers of one workflow: a user, or every member of a team.
CREATE TABLE workflow_members (
  workflow_id text NOT NULL REFERENCES workflows (id),
  member_kind text NOT NULL CHECK (member_kind IN ('user', 'team')),
  member_id text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'reviewer')),
  added_by text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, member_kind, member_id, role)
);
CREATE INDEX workflow_members_member ON workflow_members (member_kind, member_id);

-- The cookie holds a random secret; only its SHA-256 is kept, so a database read yields no session.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  secret_hash text NOT NULL UNIQUE,
  user_id text NOT NULL REFERENCES users (id),
  csrf_token text NOT NULL,
  method text NOT NULL CHECK (method IN ('password', 'oidc', 'setup_link')),
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id),
  name text NOT NULL,
  secret_hash text NOT NULL UNIQUE,
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- One-time links: the first admin's setup link, and a link to set a password. Valid once, briefly.
CREATE TABLE sign_in_links (
  id text PRIMARY KEY,
  secret_hash text NOT NULL UNIQUE,
  purpose text NOT NULL CHECK (purpose IN ('first_admin', 'set_password')),
  user_id text REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
