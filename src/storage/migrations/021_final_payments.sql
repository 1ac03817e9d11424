-- 最終支払日: the last payment to a person after 退職 / 取引終了 (翌月払いの給与,
-- 退職金, a final invoice paid the next year). Retention counts from the later
-- of that date and the end date. One row per person; a correction replaces it
-- (the audit trail keeps each recorded value).
CREATE TABLE person_final_payments (
  person_id   INTEGER PRIMARY KEY REFERENCES persons (id),
  paid_on     TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL
) STRICT;
