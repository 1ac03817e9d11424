-- Corrections (訂正) of a handover's submission record. The submission first
-- recorded stays in filing_handovers as it was written (history is never
-- overwritten); each correction is a row here with the values that replace it,
-- the reason, who and when, and the audit event 'filing.submission_corrected'
-- that committed with it (seq). The latest correction is the record in force.
-- No number is ever stored here.
CREATE TABLE filing_submission_corrections (
  id               INTEGER PRIMARY KEY,
  handover_id      INTEGER NOT NULL REFERENCES filing_handovers(id),
  seq              INTEGER NOT NULL UNIQUE,
  destination_name TEXT NOT NULL,
  submitted_on     TEXT NOT NULL,
  receipt_no       TEXT,
  reason           TEXT NOT NULL,
  corrected_by     TEXT NOT NULL,
  corrected_at     TEXT NOT NULL
) STRICT;
CREATE INDEX filing_submission_corrections_handover ON filing_submission_corrections(handover_id, id);
