-- Filings through the gate: a request of kind 'filing' merges numbers into a
-- filing file a payroll package produced (the file itself is held in memory
-- only, never here). SQLite cannot alter a CHECK, so the table is rebuilt with
-- the same columns, rows and indexes; nothing references gate_requests.
CREATE TABLE gate_requests_new (
  id              INTEGER PRIMARY KEY,
  code            TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('reveal', 'export', 'entry', 'filing')),
  handler_id      TEXT NOT NULL REFERENCES users(id),
  person_ids      TEXT NOT NULL,
  purpose         TEXT NOT NULL,
  note            TEXT,
  state           TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'consumed', 'expired', 'cancelled')),
  created_at      TEXT NOT NULL,
  approve_by      TEXT NOT NULL,
  approved_at     TEXT,
  view_until      TEXT,
  device          TEXT,
  export_encoding TEXT CHECK (export_encoding IN ('utf8_bom', 'shift_jis')),
  wrong_pins      INTEGER NOT NULL DEFAULT 0,
  refusal         TEXT CHECK (refusal IN ('wrong_pin', 'locked'))
) STRICT;
INSERT INTO gate_requests_new (id, code, kind, handler_id, person_ids, purpose, note, state, created_at, approve_by, approved_at, view_until, device, export_encoding, wrong_pins, refusal)
  SELECT id, code, kind, handler_id, person_ids, purpose, note, state, created_at, approve_by, approved_at, view_until, device, export_encoding, wrong_pins, refusal FROM gate_requests;
DROP TABLE gate_requests;
ALTER TABLE gate_requests_new RENAME TO gate_requests;
CREATE UNIQUE INDEX gate_requests_open_code ON gate_requests(code) WHERE state = 'requested';
CREATE INDEX gate_requests_handler ON gate_requests(handler_id, state);
CREATE INDEX gate_requests_handler_recent ON gate_requests(handler_id, id);
