-- The vault's first schema. Numbers appear only as sealed boxes and keyed HMACs.

CREATE TABLE vault_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Service keys (audit, index, pepper) wrapped under a key derived from the credential.
CREATE TABLE vault_keys (
  name    TEXT PRIMARY KEY,
  wrapped BLOB NOT NULL
) STRICT;

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  login         TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'handler', 'auditor')),
  password_hash TEXT NOT NULL,
  disabled_at   TEXT,
  created_at    TEXT NOT NULL
) STRICT;

-- Key slots wrapping the vault private key (PIN per user, recovery, FIDO2 hmac-secret).
CREATE TABLE key_slots (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('pin', 'recovery', 'fido2')),
  user_id    TEXT REFERENCES users(id),
  params     TEXT NOT NULL,
  wrapped    BLOB NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
CREATE UNIQUE INDEX key_slots_one_pin_per_user ON key_slots(user_id) WHERE kind = 'pin' AND revoked_at IS NULL;
CREATE UNIQUE INDEX key_slots_one_recovery ON key_slots(kind) WHERE kind = 'recovery' AND revoked_at IS NULL;

CREATE TABLE persons (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('employee', 'dependant', 'payee')),
  code             TEXT,
  name             TEXT NOT NULL,
  kana             TEXT,
  birth_date       TEXT,
  relationship     TEXT,
  supporter_id     INTEGER REFERENCES persons(id),
  corporate_number TEXT,
  status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  retired_on       TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  CHECK ((kind = 'dependant') = (supporter_id IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX persons_code ON persons(kind, code) WHERE code IS NOT NULL;
CREATE INDEX persons_supporter ON persons(supporter_id) WHERE supporter_id IS NOT NULL;
CREATE INDEX persons_kana ON persons(kana);

-- 特定個人情報: the sealed number of a person, or why there is none.
CREATE TABLE person_numbers (
  person_id      INTEGER PRIMARY KEY REFERENCES persons(id),
  state          TEXT NOT NULL CHECK (state IN ('held', 'not_provided', 'disposed')),
  sealed         BLOB,
  number_index   BLOB UNIQUE,
  refusal_reason TEXT,
  acquired_at    TEXT NOT NULL,
  disposed_at    TEXT,
  CHECK ((state = 'held') = (sealed IS NOT NULL AND number_index IS NOT NULL))
) STRICT;

-- The audit trail: append-only, hash-chained (see src/audit/chain.ts).
CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action     TEXT NOT NULL,
  subjects   TEXT NOT NULL,
  purpose    TEXT,
  client     TEXT,
  device     TEXT,
  detail     TEXT NOT NULL,
  prev_hash  BLOB NOT NULL,
  hash       BLOB NOT NULL
) STRICT;
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_action ON audit_events(action, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
