-- Where an email trigger starts reading: 'new' records the mailbox's position at its first read and
-- runs only mail that arrives after it; 'all' reads the mailbox from its oldest message. Triggers
-- deployed before this column existed were deployed to read from the oldest message, so they keep
-- 'all'; every deploy from now on writes the value its workflow file says (default 'new').
ALTER TABLE mail_triggers ADD COLUMN start_from text NOT NULL DEFAULT 'all' CHECK (start_from IN ('new', 'all'));
