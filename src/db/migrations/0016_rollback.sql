-- A rollback is its own kind of move in a stage's history, so the next rollback can tell a version
-- that was rolled back from (not a target again) from one that was simply replaced.
ALTER TABLE deployment_history DROP CONSTRAINT deployment_history_action_check;
ALTER TABLE deployment_history ADD CONSTRAINT deployment_history_action_check CHECK (action IN ('deploy', 'pause', 'resume', 'rollback'));
CREATE INDEX deployment_history_stage ON deployment_history (workflow_id, stage, id DESC);
