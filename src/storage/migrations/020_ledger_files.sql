-- 特定個人情報ファイル管理台帳: files outside the appliance that carry numbers
-- (paper 扶養控除等申告書, the payroll software, a 委託先 such as the 税理士),
-- added by an admin so the printed ledger lists every file, not only the vault.
-- Free text only, never a number (the service refuses number-like text).
CREATE TABLE ledger_files (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  content     TEXT NOT NULL,
  location    TEXT NOT NULL,
  manager     TEXT,
  note        TEXT,
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  removed_by  TEXT,
  removed_at  TEXT
) STRICT;
