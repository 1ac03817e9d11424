-- The restore drill (復元訓練) runs on a second machine and writes its audit rows into
-- the restored copy, so the appliance itself keeps the admin's record of each drill:
-- the day, the result and a note. The home page shows the next one due.
CREATE TABLE restore_drills (
  id          INTEGER PRIMARY KEY,
  drilled_on  TEXT NOT NULL,
  result      TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
  note        TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL
) STRICT;
-- The latest drill (and the page's short list) along this index.
CREATE INDEX restore_drills_on ON restore_drills(drilled_on, id);
