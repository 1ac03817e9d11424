-- Filing handovers (提供・提出の記録 of a merged filing file). A merge fills the
-- numbers into a filing file a payroll package produced and hands it over once,
-- encrypted; the event 'filing.merged' (merged_seq) is its record in the trail.
-- The handler then records where it went (destination_name: 税務署名, 市区町村名,
-- 委託先名), when it was submitted with the receipt number, and that the local
-- file was deleted; until both are recorded the handover is open. No number is
-- ever stored here.
CREATE TABLE filing_handovers (
  id               INTEGER PRIMARY KEY,
  merged_seq       INTEGER NOT NULL UNIQUE,
  request_id       INTEGER NOT NULL,
  kind             TEXT NOT NULL,
  year             INTEGER,
  destination      TEXT NOT NULL CHECK (destination IN ('tax_office', 'municipality', 'pension_office', 'hello_work', 'tax_accountant', 'labour_consultant')),
  channel          TEXT NOT NULL CHECK (channel IN ('etax', 'eltax', 'egov', 'media', 'mail', 'in_person')),
  rows             INTEGER NOT NULL,
  persons          INTEGER NOT NULL,
  handler_id       TEXT NOT NULL,
  merged_at        TEXT NOT NULL,
  destination_name TEXT,
  submitted_on     TEXT,
  receipt_no       TEXT,
  submitted_by     TEXT,
  submitted_at     TEXT,
  file_deleted_by  TEXT,
  file_deleted_at  TEXT
) STRICT;
CREATE INDEX filing_handovers_open ON filing_handovers(merged_at) WHERE submitted_on IS NULL OR file_deleted_at IS NULL;
CREATE INDEX filing_handovers_year ON filing_handovers(year, kind);

-- Who each handover names (subjects and dependants whose numbers it carried).
CREATE TABLE filing_handover_persons (
  handover_id INTEGER NOT NULL REFERENCES filing_handovers(id),
  person_id   INTEGER NOT NULL,
  PRIMARY KEY (handover_id, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX filing_handover_persons_person ON filing_handover_persons(person_id, handover_id);
