-- Security keys (FIDO2) enrolled to handlers at the appliance. The key slot
-- (key_slots, kind fido2) wraps the vault key under the hmac-secret output;
-- this table keeps what checks an assertion: the credential's public key and
-- the last signature counter seen.
CREATE TABLE security_keys (
  id            INTEGER PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(id),
  slot_id       TEXT NOT NULL REFERENCES key_slots(id),
  credential_id BLOB NOT NULL UNIQUE,
  public_key    BLOB NOT NULL,
  aaguid        BLOB NOT NULL,
  sign_count    INTEGER NOT NULL,
  label         TEXT NOT NULL,
  enrolled_at   TEXT NOT NULL,
  enrolled_by   TEXT NOT NULL REFERENCES users(id),
  last_used_at  TEXT,
  revoked_at    TEXT
) STRICT;
CREATE INDEX security_keys_user ON security_keys(user_id) WHERE revoked_at IS NULL;
