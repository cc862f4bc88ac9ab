-- What changed lately: the dashboard's change feed polls runs by their last change, and the overview
-- reads the runs that ran or ended in the last seven days by it (a run's updated_at is never before
-- its creation nor its end). Most updates of a run already change an indexed column (status, the
-- lease, available_at); only the fences that open an attempt touch updated_at alone, and those now
-- update the index too.
CREATE INDEX runs_updated ON runs (updated_at);
