-- Retention and disposal (保管期間・削除・廃棄): the rules as data, legal holds,
-- the disposal schedule, and disposal records. None of these tables ever holds a number.

-- One row per kind of document that carries a number. A person's retention end is the
-- latest end among the rules that apply to their kind, counted from the end of the
-- relationship (退職日, 取引終了日, 異動日). Admins edit years, start and source.
CREATE TABLE retention_rules (
  code       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  document   TEXT NOT NULL,
  -- JSON array of person kinds the rule applies to.
  applies_to TEXT NOT NULL,
  years      INTEGER NOT NULL CHECK (years BETWEEN 0 AND 30),
  -- event_date: from the day after the end event (完結の日);
  -- after_jan10_next_year: from 1月11日 of the year after the end event (扶養控除等申告書の提出期限の翌年1月10日の翌日);
  -- after_jan31_next_year: from 2月1日 of the year after the end event (支払調書の提出期限 1月31日の翌日).
  start      TEXT NOT NULL CHECK (start IN ('event_date', 'after_jan10_next_year', 'after_jan31_next_year')),
  source     TEXT NOT NULL,
  sort       INTEGER NOT NULL,
  updated_at TEXT,
  updated_by TEXT
) STRICT;

INSERT INTO retention_rules (code, name, document, applies_to, years, start, source, sort) VALUES
  ('dependant_declaration', '扶養控除等申告書', '給与所得者の扶養控除等（異動）申告書・配偶者控除等申告書・保険料控除申告書ほか', '["employee","dependant"]', 7, 'after_jan10_next_year',
   '所得税法施行規則第76条の3（申告書の提出期限の属する年の翌年1月10日の翌日から7年間保存）。参考: domain-facts §2.9（二次資料）', 1),
  ('employment_insurance', '雇用保険関係書類', '雇用保険の被保険者に関する書類（資格取得届・資格喪失届ほか）', '["employee"]', 4, 'event_date',
   '雇用保険法施行規則第143条（完結の日から4年間）。参考: domain-facts §2.9', 2),
  ('health_pension_insurance', '健康保険・厚生年金保険関係書類', '健康保険・厚生年金保険に関する書類（資格取得届・資格喪失届・被扶養者異動届ほか）', '["employee","dependant"]', 2, 'event_date',
   '健康保険法施行規則第34条・厚生年金保険法施行規則第28条（完結の日から2年間）。参考: domain-facts §2.9', 3),
  ('payment_record', '支払調書（控え）', '報酬・料金等、不動産の使用料等ほかの支払調書（控え）', '["payee"]', 5, 'after_jan31_next_year',
   '支払調書の控えには法令上の保存義務がありません。最後の支払調書の提出期限（翌年1月31日）の翌日から、国税通則法の更正・決定の期間（原則5年）を目安に事業者が判断した期間です（要確認: domain-facts に記載なし）。', 4);

-- Settings of the schedule: the month whose last day closes each disposal batch (事業年度末,
-- default 3 = 3月末), and how long backups are kept (the backup work flags older copies).
CREATE TABLE retention_settings (
  key        TEXT PRIMARY KEY CHECK (key IN ('batch_month', 'backup_retention_days')),
  value      INTEGER NOT NULL,
  updated_at TEXT,
  updated_by TEXT
) STRICT;
INSERT INTO retention_settings (key, value) VALUES ('batch_month', 3), ('backup_retention_days', 90);

-- Legal holds (保存の継続が必要な手続き中): a person on hold is never disposed.
CREATE TABLE legal_holds (
  id         INTEGER PRIMARY KEY,
  person_id  INTEGER NOT NULL REFERENCES persons(id),
  reason     TEXT NOT NULL,
  set_by     TEXT NOT NULL REFERENCES users(id),
  set_at     TEXT NOT NULL,
  cleared_by TEXT REFERENCES users(id),
  cleared_at TEXT
) STRICT;
CREATE UNIQUE INDEX legal_holds_one_active ON legal_holds(person_id) WHERE cleared_at IS NULL;

-- Disposal records (削除・廃棄記録). A handler or admin proposes; an admin approves, and the
-- approval executes the disposal in the same transaction. Never holds a number.
CREATE TABLE disposals (
  id                     INTEGER PRIMARY KEY,
  state                  TEXT NOT NULL CHECK (state IN ('proposed', 'executed', 'cancelled')),
  batch                  TEXT NOT NULL,
  note                   TEXT,
  proposed_by            TEXT NOT NULL REFERENCES users(id),
  proposed_by_name       TEXT NOT NULL,
  proposed_at            TEXT NOT NULL,
  approved_by            TEXT REFERENCES users(id),
  approved_by_name       TEXT,
  approved_at            TEXT,
  executed_at            TEXT,
  -- 1 when the only active admin both proposed and approved (allowed, and recorded).
  same_person            INTEGER NOT NULL DEFAULT 0 CHECK (same_person IN (0, 1)),
  cancelled_by           TEXT REFERENCES users(id),
  cancelled_at           TEXT,
  -- Backups made before executed_at still hold the disposed numbers until this date.
  backups_aged_out_on    TEXT,
  CHECK ((state = 'executed') = (executed_at IS NOT NULL AND approved_by IS NOT NULL))
) STRICT;
CREATE INDEX disposals_state ON disposals(state, id);

-- The persons of a disposal, with the retention end and rules that made them due.
CREATE TABLE disposal_persons (
  disposal_id   INTEGER NOT NULL REFERENCES disposals(id),
  person_id     INTEGER NOT NULL REFERENCES persons(id),
  person_name   TEXT NOT NULL,
  retention_end TEXT NOT NULL,
  rules         TEXT NOT NULL,
  PRIMARY KEY (disposal_id, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX disposal_persons_person ON disposal_persons(person_id);
