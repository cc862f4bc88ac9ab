-- The audit log becomes tamper-evident: every event is linked into one hash chain
--   hash = sha256(prev_hash || '\n' || seq || '\n' || body), prev_hash of seq 1 = 64 zeros,
-- where body is the exact text that was hashed (canonical JSON of actor, action, subject, before,
-- after, data, request id and time). audit_chain holds the head. Writers only INSERT (seq, prev_hash
-- and hash empty: "pending"); a linker that holds the head row links pending events in id order,
-- so concurrent writers never queue behind one another's commits. The table is append-only: a
-- trigger refuses UPDATE (except linking a pending event), DELETE and TRUNCATE.
-- The migration runner splits on semicolons, so the PL/pgSQL body below writes each of its own
-- semicolons as the escape \073 inside an E'' string. Forward-only: never edit once landed.

ALTER TABLE audit_events
  ADD COLUMN seq bigint,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text,
  ADD COLUMN body text,
  ADD COLUMN request_id text,
  ADD COLUMN before jsonb,
  ADD COLUMN after jsonb;

-- Existing events: their body is built from their columns (jsonb text; verification reads any JSON).
UPDATE audit_events SET body = jsonb_build_object(
  'actor', actor, 'action', action, 'subject_type', subject_type, 'subject_id', subject_id,
  'before', NULL::jsonb, 'after', NULL::jsonb, 'data', data, 'request_id', NULL::text,
  'at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text;
ALTER TABLE audit_events ALTER COLUMN body SET NOT NULL;

-- Backfill: number existing events in id order and link them, so the chain is whole after migrating.
UPDATE audit_events e SET seq = n.rn
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM audit_events) n WHERE e.id = n.id;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_seq_key UNIQUE (seq);

WITH RECURSIVE chain (seq, prev_hash, hash) AS (
  SELECT 0::bigint, NULL::text, repeat('0', 64)
  UNION ALL
  SELECT e.seq, c.hash, encode(sha256(convert_to(c.hash || E'\n' || e.seq::text || E'\n' || e.body, 'UTF8')), 'hex')
  FROM chain c JOIN audit_events e ON e.seq = c.seq + 1
)
UPDATE audit_events e SET prev_hash = c.prev_hash, hash = c.hash FROM chain c WHERE e.seq = c.seq AND c.seq > 0;

-- Events not yet linked, oldest first: what the linker reads.
CREATE INDEX audit_events_pending ON audit_events (id) WHERE seq IS NULL;
-- Filtered listings walk the chain order.
CREATE INDEX audit_events_subject_seq ON audit_events (subject_type, subject_id, seq);
CREATE INDEX audit_events_actor_seq ON audit_events (actor, seq);

-- The head: one row. Linkers lock it (FOR UPDATE), so the chain stays one line.
CREATE TABLE audit_chain (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  head_hash text NOT NULL,
  prev_hash text NOT NULL,
  linked_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_chain (id, seq, head_hash, prev_hash) VALUES (1, 0, repeat('0', 64), repeat('0', 64));
UPDATE audit_chain c SET seq = e.seq, head_hash = e.hash, prev_hash = e.prev_hash
FROM (SELECT seq, hash, prev_hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1) e WHERE c.id = 1;

-- Append-only. An INSERT must leave the link columns empty (the linker fills them) and gets a body
-- built from its columns when it has none. An UPDATE is allowed only to link a pending event (its
-- link columns go from empty to set, nothing else changes). DELETE and TRUNCATE are refused.
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    IF NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.hash IS NOT NULL THEN
      RAISE EXCEPTION ''audit events are linked into the chain by Keel: insert them without seq, prev_hash and hash''
        USING ERRCODE = ''insufficient_privilege''\073
    END IF\073
    IF NEW.body IS NULL THEN
      NEW.body := jsonb_build_object(
        ''actor'', NEW.actor, ''action'', NEW.action, ''subject_type'', NEW.subject_type, ''subject_id'', NEW.subject_id,
        ''before'', NEW.before, ''after'', NEW.after, ''data'', NEW.data, ''request_id'', NEW.request_id,
        ''at'', to_char(NEW.created_at AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.US"Z"''))::text\073
    END IF\073
    RETURN NEW\073
  END IF\073
  IF TG_OP = ''UPDATE'' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
      AND (NEW.id, NEW.actor, NEW.action, NEW.subject_type, NEW.subject_id, NEW.data, NEW.before, NEW.after,
           NEW.request_id, NEW.body, NEW.created_at)
        IS NOT DISTINCT FROM (OLD.id, OLD.actor, OLD.action, OLD.subject_type, OLD.subject_id, OLD.data, OLD.before,
           OLD.after, OLD.request_id, OLD.body, OLD.created_at) THEN
      RETURN NEW\073
    END IF\073
  END IF\073
  RAISE EXCEPTION ''audit_events is append-only: % refused'', TG_OP
    USING ERRCODE = ''insufficient_privilege'', HINT = ''Nobody edits or deletes audit events, not even an admin.''\073
END';

CREATE TRIGGER audit_events_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();

-- The head row is moved by linkers only; it is never deleted.
CREATE FUNCTION audit_chain_guard() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  RAISE EXCEPTION ''audit_chain keeps the head of the audit chain: % refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073
END';

CREATE TRIGGER audit_chain_keep BEFORE DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chain_guard();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_guard();
