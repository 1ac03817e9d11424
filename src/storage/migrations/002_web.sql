-- The office LAN app: sign-in state, sessions, identity checks, intake codes,
-- the purposes a number is held for, and an index of audit events by person.

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at TEXT;
ALTER TABLE users ADD COLUMN last_login_at TEXT;

-- Server-side sessions; the cookie holds the id, the table only its SHA-256.
CREATE TABLE sessions (
  id_hash      BLOB PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id),
  csrf_token   TEXT NOT NULL,
  client       TEXT,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

-- 本人確認: 番号確認 and 身元確認 documents, when and by whom.
CREATE TABLE identity_checks (
  id                 INTEGER PRIMARY KEY,
  person_id          INTEGER NOT NULL REFERENCES persons(id),
  method             TEXT NOT NULL CHECK (method IN ('in_person', 'mail', 'online')),
  number_document    TEXT NOT NULL,
  identity_documents TEXT NOT NULL,
  checked_on         TEXT NOT NULL,
  checker_id         TEXT NOT NULL REFERENCES users(id),
  note               TEXT,
  created_at         TEXT NOT NULL
) STRICT;
CREATE INDEX identity_checks_person ON identity_checks(person_id);

-- One-time codes for self-intake; only their SHA-256 is kept.
CREATE TABLE intake_codes (
  code_hash  BLOB PRIMARY KEY,
  person_id  INTEGER NOT NULL REFERENCES persons(id),
  issued_by  TEXT NOT NULL REFERENCES users(id),
  issued_at  TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT
) STRICT;
CREATE INDEX intake_codes_person ON intake_codes(person_id);

-- The purposes notified at intake (JSON array of purpose codes).
ALTER TABLE person_numbers ADD COLUMN purposes TEXT;
-- 異動: the date a dependant stopped being a dependant.
ALTER TABLE persons ADD COLUMN dependant_until TEXT;
-- The register's order (kana, persons without kana last), so a page is read from the index.
CREATE INDEX persons_register_order ON persons(kana IS NULL, kana, id);

-- Which audit events name which person (derived from audit_events.subjects, written with them).
CREATE TABLE audit_subjects (
  person_id INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (person_id, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO audit_subjects (person_id, seq)
  SELECT json_extract(s.value, '$.id'), e.seq FROM audit_events e, json_each(e.subjects) s;
