-- Disposals re-applied in a restored vault from the disposal ledger: the
-- backup predated them, so its disposals table does not have them (their
-- proposer and approver may not even exist in it). Record ids only.
CREATE TABLE reapplied_disposals (
  disposal_id  INTEGER PRIMARY KEY,
  executed_at  TEXT NOT NULL,
  -- JSON array of person ids.
  person_ids   TEXT NOT NULL,
  reapplied_at TEXT NOT NULL
) STRICT;
