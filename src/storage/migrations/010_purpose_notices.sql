-- 利用目的の通知 as data: which purposes were shown to whom, on which day and how;
-- what a self-intake code carries; how a 本人確認 was done; admin co-approvals of a
-- use after the person's relationship ended.

CREATE TABLE purpose_notices (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES persons(id),
  -- The role the purposes concern (employee, dependant, payee).
  role        TEXT NOT NULL CHECK (role IN ('employee', 'dependant', 'payee')),
  purposes    TEXT NOT NULL,
  notified_on TEXT NOT NULL,
  via         TEXT NOT NULL CHECK (via IN ('handler', 'self_intake', 'import', 'additional')),
  actor_id    TEXT NOT NULL,
  created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX purpose_notices_person ON purpose_notices(person_id, id);

-- The purposes a code carries, per person (JSON object: person id -> purpose codes).
ALTER TABLE intake_codes ADD COLUMN purposes TEXT;

-- 本人確認: the route (本人 direct, 従業員が確認, 代理人), its details (proxy, 代理権 document,
-- named other documents; never a number) and the keyed index of the number checked.
ALTER TABLE identity_checks ADD COLUMN route TEXT NOT NULL DEFAULT 'direct';
ALTER TABLE identity_checks ADD COLUMN detail TEXT;
ALTER TABLE identity_checks ADD COLUMN number_index BLOB;

-- A use outside what the person's state still allows, approved by an admin with a note; used once.
CREATE TABLE purpose_co_approvals (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES persons(id),
  purpose     TEXT NOT NULL,
  note        TEXT NOT NULL,
  approved_by TEXT NOT NULL REFERENCES users(id),
  approved_at TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  used_at     TEXT
) STRICT;
CREATE INDEX purpose_co_approvals_person ON purpose_co_approvals(person_id, purpose);

-- Who an export request left out of its set, and why (not notified, relationship ended, 本人確認 missing).
CREATE TABLE export_left_out (
  request_id INTEGER NOT NULL,
  person_id  INTEGER NOT NULL REFERENCES persons(id),
  reason     TEXT NOT NULL,
  PRIMARY KEY (request_id, person_id)
) STRICT, WITHOUT ROWID;
