-- 提供・提出の記録 and 持出し of exported files. An export is the audit event
-- 'numbers.exported' (its seq); after it the handler records where the file
-- went (one row per destination) and confirms that the file was deleted, which
-- closes the 持出し. No number is ever stored here.
CREATE TABLE export_provisions (
  id           INTEGER PRIMARY KEY,
  export_seq   INTEGER NOT NULL,
  destination  TEXT NOT NULL CHECK (destination IN ('tax_office', 'municipality', 'pension_office', 'hello_work', 'tax_accountant', 'labour_consultant')),
  channel      TEXT NOT NULL CHECK (channel IN ('etax', 'eltax', 'egov', 'media', 'mail', 'in_person')),
  provided_on  TEXT NOT NULL,
  recorded_by  TEXT NOT NULL,
  recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX export_provisions_export ON export_provisions(export_seq);

CREATE TABLE export_file_deletions (
  export_seq   INTEGER PRIMARY KEY,
  confirmed_by TEXT NOT NULL,
  confirmed_at TEXT NOT NULL
) STRICT;
