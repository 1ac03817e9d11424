-- The door of the 管理区域: alarms (held open, forced open, sensor or relay failure)
-- stay on the admins' home page until an admin acknowledges them with a note.
CREATE TABLE door_alarms (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('held', 'forced', 'sensor_failed', 'relay_failed')),
  at               TEXT NOT NULL,
  detail           TEXT NOT NULL DEFAULT '{}',
  acknowledged_at  TEXT,
  acknowledged_by  TEXT REFERENCES users(id),
  note             TEXT,
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
) STRICT;
CREATE INDEX door_alarms_open ON door_alarms(at) WHERE acknowledged_at IS NULL;

-- The entry log (入退室記録) reads approvals and door events straight from the
-- audit trail; this partial index keeps a month's page fast however long the trail.
CREATE INDEX audit_events_entry_log ON audit_events(at) WHERE action = 'gate.entry' OR action GLOB 'door.*';
