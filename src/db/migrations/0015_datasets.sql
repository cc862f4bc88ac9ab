-- Dataset versions: every change to a dataset (an import, a case added by hand or from a review, a
-- case removed) makes the next version, and a version never changes, so an eval run can name the
-- exact cases it was scored on. Cases are immutable too; membership is a version range on the case
-- (added_in <= N AND (removed_in IS NULL OR removed_in > N)), which keeps a new version from
-- copying every case it inherits.
ALTER TABLE dataset_cases ADD COLUMN added_in int NOT NULL DEFAULT 1;
ALTER TABLE dataset_cases ADD COLUMN removed_in int;
ALTER TABLE dataset_cases ADD CONSTRAINT dataset_cases_range CHECK (added_in >= 1 AND (removed_in IS NULL OR removed_in > added_in));

-- A review removed from a dataset may be added again (as a new case): only live cases are unique.
DROP INDEX dataset_cases_review;
CREATE UNIQUE INDEX dataset_cases_review_live ON dataset_cases (workflow_id, dataset, review_id) WHERE review_id IS NOT NULL AND removed_in IS NULL;
CREATE INDEX dataset_cases_added ON dataset_cases (workflow_id, dataset, added_in);

CREATE TABLE dataset_versions (
  workflow_id text NOT NULL REFERENCES workflows (id),
  dataset text NOT NULL,
  number int NOT NULL CHECK (number >= 1),
  case_count int NOT NULL,
  -- sha256 of the member case ids joined by newlines in byte order (COLLATE "C", the same on every
  -- database): cases never change, so the ids name the content.
  content_hash text NOT NULL,
  -- What made it: import, add, review, remove, or existing (the cases there before versions).
  change text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  note text,
  PRIMARY KEY (workflow_id, dataset, number)
);

-- The cases added from reviews before this migration are version 1 of their datasets.
INSERT INTO dataset_versions (workflow_id, dataset, number, case_count, content_hash, change, created_by)
SELECT workflow_id, dataset, 1, count(*)::int,
       encode(sha256(convert_to(string_agg(id, E'\n' ORDER BY id COLLATE "C"), 'UTF8')), 'hex'), 'existing', 'keel'
  FROM dataset_cases GROUP BY workflow_id, dataset;
