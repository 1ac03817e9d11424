-- A second factor for web sign-in (issue 14): TOTP, WebAuthn credentials,
-- recovery codes, and the half-done sign-ins waiting for their second factor.

-- One TOTP secret per user, sealed (AES-256-GCM under a key derived from the
-- vault's pepper, bound to the user id). confirmed_at is NULL while the user is
-- still enrolling; last_step is the 30-second step of the last code accepted,
-- so a code is used at most once.
CREATE TABLE second_factor_totp (
  user_id       TEXT PRIMARY KEY REFERENCES users(id),
  sealed_secret BLOB NOT NULL,
  created_at    TEXT NOT NULL,
  confirmed_at  TEXT,
  last_step     INTEGER
) STRICT;

-- WebAuthn credentials (security keys, platform authenticators): public keys only.
CREATE TABLE webauthn_credentials (
  id           TEXT PRIMARY KEY,           -- credential id, base64url
  user_id      TEXT NOT NULL REFERENCES users(id),
  public_key   BLOB NOT NULL,              -- COSE public key
  counter      INTEGER NOT NULL,
  transports   TEXT,                       -- JSON array, as the browser reported
  created_at   TEXT NOT NULL,
  last_used_at TEXT
) STRICT;
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id);

-- Recovery codes: only their HMAC-SHA-256 under a key derived from the pepper.
CREATE TABLE recovery_codes (
  user_id    TEXT NOT NULL REFERENCES users(id),
  code_hmac  BLOB NOT NULL,
  created_at TEXT NOT NULL,
  used_at    TEXT,
  PRIMARY KEY (user_id, code_hmac)
) STRICT, WITHOUT ROWID;

-- A sign-in whose password was right, waiting for the second factor (or its
-- enrolment). The cookie holds the id, the table only its SHA-256. No session
-- exists until the second factor is passed.
CREATE TABLE pending_sign_ins (
  id_hash    BLOB PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id),
  purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'enrol')),
  client     TEXT,
  created_at TEXT NOT NULL,
  challenge  TEXT                          -- the WebAuthn challenge last issued, base64url
) STRICT;
CREATE INDEX pending_sign_ins_user ON pending_sign_ins(user_id);

-- Wrong second-factor codes in a row; reset by a success, and when the account locks.
ALTER TABLE users ADD COLUMN second_factor_failures INTEGER NOT NULL DEFAULT 0;

-- Admins signed in with a password alone before this version sign in again, through the second factor.
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'admin');
