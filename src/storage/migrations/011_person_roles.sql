-- One number, one record: the further roles a person holds over their one sealed number
-- (a 社長 who also rents property to the company is a payee; a part-time employee may also be
-- a spouse-dependant of another employee). The primary role stays persons.kind, with its own
-- code, supporter, status and dates, so everything that reads persons keeps working; this table
-- holds the roles beyond it. Purposes are notified per role (purpose_notices.role). ended_on and
-- last_paid_on are the retention inputs of the role (退職日・取引終了日・異動日, 最終支払日).
CREATE TABLE person_roles (
  id           INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  role         TEXT NOT NULL CHECK (role IN ('employee', 'dependant', 'payee')),
  code         TEXT,
  supporter_id INTEGER REFERENCES persons(id),
  relationship TEXT,
  started_on   TEXT NOT NULL,
  ended_on     TEXT,
  last_paid_on TEXT,
  created_at   TEXT NOT NULL,
  CHECK ((role = 'dependant') = (supporter_id IS NOT NULL)),
  CHECK (supporter_id IS NULL OR supporter_id <> person_id)
) STRICT;
CREATE UNIQUE INDEX person_roles_once ON person_roles(person_id, role, coalesce(supporter_id, 0));
CREATE UNIQUE INDEX person_roles_code ON person_roles(role, code) WHERE code IS NOT NULL;
CREATE INDEX person_roles_supporter ON person_roles(supporter_id) WHERE supporter_id IS NOT NULL;
