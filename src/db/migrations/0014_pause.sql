-- Pausing (issue 9). A stage's pause records who paused it, when and why (a person, or a monitor's
-- stop condition as `monitor:<id>`); a connector can be paused by hand (the kill switch) with the
-- same facts. A run held by a pause stays `queued` with wait_reason 'paused' and available_at
-- 'infinity', so the claim query never takes it and needs no change; held_by names what holds it
-- ('stage', or 'connector:<id>'), so each resume releases exactly the runs its pause held.
ALTER TABLE deployments ADD COLUMN paused_at timestamptz;
ALTER TABLE deployments ADD COLUMN paused_by text;
ALTER TABLE deployments ADD COLUMN pause_reason text;

ALTER TABLE connectors ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE connectors ADD COLUMN paused_at timestamptz;
ALTER TABLE connectors ADD COLUMN paused_by text;
ALTER TABLE connectors ADD COLUMN pause_reason text;

ALTER TABLE runs DROP CONSTRAINT runs_wait_reason_check;
ALTER TABLE runs ADD CONSTRAINT runs_wait_reason_check CHECK (wait_reason IN ('retry', 'review', 'outcome_unknown', 'paused'));
ALTER TABLE runs ADD COLUMN held_by text;
-- A held run is a queued run waiting for a resume, and only a held run waits for one.
ALTER TABLE runs ADD CONSTRAINT runs_held_by_check
  CHECK ((held_by IS NOT NULL) = (wait_reason IS NOT DISTINCT FROM 'paused') AND (held_by IS NULL OR status = 'queued'));
-- Releasing: a stage's resume finds its held runs by (held_by, workflow_id, stage), a connector's by held_by.
CREATE INDEX runs_held ON runs (held_by, workflow_id, stage) WHERE held_by IS NOT NULL;
