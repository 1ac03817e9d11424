-- The physical gate: requests to reveal or export numbers, approved at the appliance.

CREATE TABLE gate_requests (
  id           INTEGER PRIMARY KEY,
  code         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('reveal', 'export', 'entry')),
  handler_id   TEXT NOT NULL REFERENCES users(id),
  person_ids   TEXT NOT NULL,
  purpose      TEXT NOT NULL,
  note         TEXT,
  state        TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'consumed', 'expired', 'cancelled')),
  created_at   TEXT NOT NULL,
  approve_by   TEXT NOT NULL,
  approved_at  TEXT,
  view_until   TEXT,
  device       TEXT
) STRICT;
-- A code names at most one open request at a time.
CREATE UNIQUE INDEX gate_requests_open_code ON gate_requests(code) WHERE state = 'requested';
CREATE INDEX gate_requests_handler ON gate_requests(handler_id, state);

-- Wrong PINs at the appliance, per handler; locked until an admin unlocks.
ALTER TABLE users ADD COLUMN failed_pins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pin_locked_at TEXT;
