-- Email triggers: one row per `email` trigger of the version deployed at a stage, kept in step with
-- the deployment like schedules (rows replaced on deploy), except that the mailbox cursor is carried
-- over while the trigger keeps its connector, so a redeploy does not read the whole mailbox again.
-- The mail poller leader reads each due row's mailbox through the governed connector path.
CREATE TABLE mail_triggers (
  workflow_id text NOT NULL REFERENCES workflows (id),
  stage text NOT NULL,
  trigger_index integer NOT NULL,
  connector_id text NOT NULL,
  -- JSONata over { message } giving the run input; NULL: the fetched message is the input.
  input_expression text,
  every_ms integer NOT NULL CHECK (every_ms >= 5000),
  -- The cursor: UIDs only mean something together with the mailbox's UIDVALIDITY (a decimal string);
  -- last_date (the internal date of the newest message seen) bounds the re-read after a renumbering.
  -- All NULL until the first successful read, which starts at the oldest message.
  uid_validity text,
  last_uid bigint CHECK (last_uid >= 0),
  last_date timestamptz,
  next_poll_at timestamptz NOT NULL,
  last_polled_at timestamptz,
  -- Why the last read failed (a stored KeelError: no secrets, no message content); NULL after a good read.
  last_error jsonb,
  -- Messages whose input broke the contract: not run, counted, the last one described (uid, reason).
  skipped_count integer NOT NULL DEFAULT 0,
  last_skipped jsonb,
  PRIMARY KEY (workflow_id, stage, trigger_index)
);
CREATE INDEX mail_triggers_due ON mail_triggers (next_poll_at);

-- The Message-IDs that started runs, per workflow, stage and connector. A run's dedupe key names the
-- UID, which a UIDVALIDITY change renumbers; the poll after a renumbering reads recent mail again,
-- and these let it pass over the messages that already ran. Pruned once older than the re-read window.
CREATE TABLE mail_trigger_messages (
  workflow_id text NOT NULL REFERENCES workflows (id),
  stage text NOT NULL,
  connector_id text NOT NULL,
  message_id text NOT NULL,
  run_id text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, stage, connector_id, message_id)
);

-- A run may now be started by new mail.
ALTER TABLE runs DROP CONSTRAINT runs_trigger_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_trigger_kind_check CHECK (trigger_kind IN ('webhook', 'schedule', 'manual', 'email'));
