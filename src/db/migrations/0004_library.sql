-- The instruction library: prompts and documents, each name with immutable content-hashed versions
-- (numbered 1, 2, 3 per name) and movable labels (production, staging, ...). Documents are searched
-- by full text (a generated tsvector with a GIN index) and, when embeddings were computed, by vector
-- similarity. Embeddings are real[] so that the schema needs no extension: pgvector, where it is
-- installed, works on a cast of them. Forward-only: never edit once landed.

CREATE TABLE library_entries (
  name text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('prompt', 'document')),
  latest_version_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE library_versions (
  id text PRIMARY KEY,
  name text NOT NULL REFERENCES library_entries (name),
  kind text NOT NULL CHECK (kind IN ('prompt', 'document')),
  number integer NOT NULL CHECK (number >= 1),
  content_hash text NOT NULL,
  content jsonb NOT NULL,
  source text NOT NULL,
  source_name text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, number),
  UNIQUE (name, content_hash)
);

-- The searchable part of a document version (one row per document version; prompts have none).
CREATE TABLE library_documents (
  version_id text PRIMARY KEY REFERENCES library_versions (id),
  title text NOT NULL,
  doc_type text NOT NULL CHECK (doc_type IN ('policy', 'definition', 'faq', 'other')),
  tags text[] NOT NULL DEFAULT '{}',
  body text NOT NULL,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED
);
CREATE INDEX library_documents_search ON library_documents USING gin (search);

CREATE TABLE library_labels (
  name text NOT NULL REFERENCES library_entries (name),
  label text NOT NULL,
  version_id text NOT NULL REFERENCES library_versions (id),
  moved_by text NOT NULL,
  moved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, label)
);
CREATE INDEX library_labels_version ON library_labels (version_id);

CREATE TABLE library_embeddings (
  version_id text NOT NULL REFERENCES library_versions (id),
  model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions >= 1),
  embedding real[] NOT NULL CHECK (cardinality(embedding) = dimensions),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version_id, model)
);
