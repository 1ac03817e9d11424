-- バックアップ消去確認: an admin confirms, after a disposal, that no backup made
-- before it is left (the configured folder holds none, and copies kept
-- elsewhere were erased). One row per disposal; the audit trail has the event.
CREATE TABLE disposal_backup_erasures (
  disposal_id  INTEGER PRIMARY KEY REFERENCES disposals (id),
  confirmed_by TEXT NOT NULL,
  confirmed_by_name TEXT NOT NULL,
  confirmed_at TEXT NOT NULL
) STRICT;
