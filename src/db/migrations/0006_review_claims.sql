-- A person who opens a review task claims it, so two people do not work the same case; the claim
-- expires by itself, so a task left open in a closed browser tab is not stuck with nobody.
ALTER TABLE reviews ADD COLUMN claimed_by text;
ALTER TABLE reviews ADD COLUMN claimed_until timestamptz;
