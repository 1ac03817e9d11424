-- Retention kept per person, so the home page's counts and the register's 保存期間経過 filter are
-- answered from an index and a maintained count instead of judging every person on each view.
--
-- retention_end: the last day the person's number must be kept (domain/retention.ts personRetentionEnd
-- over every role), set only while a number is held and every role has ended; NULL otherwise.
-- retention_due: retention_end is before the day in retention_due_day (Japan's calendar). Both are
-- written only by services/retention-due.ts, which computes them with the domain rule.
ALTER TABLE persons ADD COLUMN retention_end TEXT;
ALTER TABLE persons ADD COLUMN retention_due INTEGER NOT NULL DEFAULT 0;

-- The 保存期間経過 filter walks this index in register order (a keyset page, like the other filters).
CREATE INDEX persons_register_retention_due ON persons(register_key, id) WHERE retention_due = 1;
-- The day's flip of retention_due reads the ends in date order.
CREATE INDEX persons_retention_end ON persons(retention_end) WHERE retention_end IS NOT NULL;

-- Persons whose retention facts changed since retention_end was last computed. Every write that can
-- move a person's retention (status, 退職日, kind, supporter, 異動日, the number's state, a role, a
-- 最終支払日 — the person's own or the supporter's — a rule) marks them here, whichever code path made it;
-- the next reader (or the writer, at the end of its work) recomputes the marked persons.
CREATE TABLE retention_dirty (
  person_id INTEGER PRIMARY KEY
) STRICT;

-- The day retention_due was last brought up to date (YYYY-MM-DD, Japan). A new day flips the persons
-- whose end it passed (one range of persons_retention_end).
CREATE TABLE retention_due_day (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  day TEXT NOT NULL
) STRICT;

-- Counts of persons with an end (f=ended: every role ended, number held) and past it (f=due), by kind
-- (or *) and status (or *). Key: 'k=<kind|*>;s=<status|*>;f=<ended|due>'.
CREATE TABLE retention_counts (
  key TEXT PRIMARY KEY,
  n   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER persons_retention_count_ai AFTER INSERT ON persons WHEN NEW.retention_end IS NOT NULL BEGIN
  INSERT INTO retention_counts (key, n)
  SELECT 'k=' || k || ';s=' || s || ';f=' || f, 1
    FROM (SELECT NEW.kind AS k UNION ALL SELECT '*')
    CROSS JOIN (SELECT NEW.status AS s UNION ALL SELECT '*')
    CROSS JOIN (SELECT 'ended' AS f UNION ALL SELECT CASE WHEN NEW.retention_due = 1 THEN 'due' END)
   WHERE f IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER persons_retention_count_ad AFTER DELETE ON persons WHEN OLD.retention_end IS NOT NULL BEGIN
  UPDATE retention_counts SET n = n - 1 WHERE key IN (
    SELECT 'k=' || k || ';s=' || s || ';f=' || f
      FROM (SELECT OLD.kind AS k UNION ALL SELECT '*')
      CROSS JOIN (SELECT OLD.status AS s UNION ALL SELECT '*')
      CROSS JOIN (SELECT 'ended' AS f UNION ALL SELECT CASE WHEN OLD.retention_due = 1 THEN 'due' END)
     WHERE f IS NOT NULL);
END;
CREATE TRIGGER persons_retention_count_au AFTER UPDATE OF kind, status, retention_end, retention_due ON persons
WHEN OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status
  OR (OLD.retention_end IS NULL) IS NOT (NEW.retention_end IS NULL) OR OLD.retention_due IS NOT NEW.retention_due BEGIN
  UPDATE retention_counts SET n = n - 1 WHERE OLD.retention_end IS NOT NULL AND key IN (
    SELECT 'k=' || k || ';s=' || s || ';f=' || f
      FROM (SELECT OLD.kind AS k UNION ALL SELECT '*')
      CROSS JOIN (SELECT OLD.status AS s UNION ALL SELECT '*')
      CROSS JOIN (SELECT 'ended' AS f UNION ALL SELECT CASE WHEN OLD.retention_due = 1 THEN 'due' END)
     WHERE f IS NOT NULL);
  INSERT INTO retention_counts (key, n)
  SELECT 'k=' || k || ';s=' || s || ';f=' || f, 1
    FROM (SELECT NEW.kind AS k UNION ALL SELECT '*')
    CROSS JOIN (SELECT NEW.status AS s UNION ALL SELECT '*')
    CROSS JOIN (SELECT 'ended' AS f UNION ALL SELECT CASE WHEN NEW.retention_due = 1 THEN 'due' END)
   WHERE f IS NOT NULL AND NEW.retention_end IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET n = n + excluded.n;
END;

-- Marking. A person inserted with a held number whose 事務 may already have ended (a bulk import of
-- leavers), or whose supporter has left.
CREATE TRIGGER persons_retention_dirty_ai AFTER INSERT ON persons
WHEN NEW.number_state = 'held' AND (NEW.status = 'retired' OR NEW.dependant_until IS NOT NULL
  OR EXISTS (SELECT 1 FROM persons s WHERE s.id = NEW.supporter_id AND s.status = 'retired')) BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (NEW.id);
END;
-- A leaver inserted after their dependants (in one import, any order): the dependants' 事務 ended too.
CREATE TRIGGER persons_retention_dirty_ai_supporter AFTER INSERT ON persons WHEN NEW.status = 'retired' BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT id FROM persons WHERE supporter_id = NEW.id;
END;
CREATE TRIGGER persons_retention_dirty_au AFTER UPDATE OF kind, status, retired_on, supporter_id, dependant_until, number_state ON persons
WHEN OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status OR OLD.retired_on IS NOT NEW.retired_on
  OR OLD.supporter_id IS NOT NEW.supporter_id OR OLD.dependant_until IS NOT NEW.dependant_until
  OR OLD.number_state IS NOT NEW.number_state BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (NEW.id);
  -- A supporter's 退職 ends their dependants' 事務 (primary dependants and dependant roles).
  INSERT OR IGNORE INTO retention_dirty (person_id)
  SELECT id FROM persons WHERE supporter_id = NEW.id AND (OLD.status IS NOT NEW.status OR OLD.retired_on IS NOT NEW.retired_on);
  INSERT OR IGNORE INTO retention_dirty (person_id)
  SELECT person_id FROM person_roles WHERE supporter_id = NEW.id AND (OLD.status IS NOT NEW.status OR OLD.retired_on IS NOT NEW.retired_on);
END;
CREATE TRIGGER persons_retention_dirty_ad AFTER DELETE ON persons BEGIN
  DELETE FROM retention_dirty WHERE person_id = OLD.id;
END;
CREATE TRIGGER person_roles_retention_dirty_ai AFTER INSERT ON person_roles BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (NEW.person_id);
END;
CREATE TRIGGER person_roles_retention_dirty_au AFTER UPDATE ON person_roles BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (OLD.person_id), (NEW.person_id);
END;
CREATE TRIGGER person_roles_retention_dirty_ad AFTER DELETE ON person_roles BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (OLD.person_id);
END;
-- A 最終支払日 moves the person's end and, as the supporter's, their dependants' ends.
CREATE TRIGGER final_payments_retention_dirty_ai AFTER INSERT ON person_final_payments BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (NEW.person_id);
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT id FROM persons WHERE supporter_id = NEW.person_id;
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT person_id FROM person_roles WHERE supporter_id = NEW.person_id;
END;
CREATE TRIGGER final_payments_retention_dirty_au AFTER UPDATE ON person_final_payments BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (NEW.person_id);
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT id FROM persons WHERE supporter_id = NEW.person_id;
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT person_id FROM person_roles WHERE supporter_id = NEW.person_id;
END;
CREATE TRIGGER final_payments_retention_dirty_ad AFTER DELETE ON person_final_payments BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id) VALUES (OLD.person_id);
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT id FROM persons WHERE supporter_id = OLD.person_id;
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT person_id FROM person_roles WHERE supporter_id = OLD.person_id;
END;
-- A rule change (years, start) moves every end: every person who may have one is recomputed.
CREATE TRIGGER retention_rules_dirty_au AFTER UPDATE OF years, start, applies_to ON retention_rules BEGIN
  INSERT OR IGNORE INTO retention_dirty (person_id)
  SELECT id FROM persons WHERE number_state = 'held' AND (status = 'retired' OR dependant_until IS NOT NULL OR supporter_id IS NOT NULL OR retention_end IS NOT NULL);
  INSERT OR IGNORE INTO retention_dirty (person_id) SELECT DISTINCT person_id FROM person_roles WHERE ended_on IS NOT NULL OR supporter_id IS NOT NULL;
END;

-- Every person registered before this migration who may have an end is computed at the next read.
INSERT OR IGNORE INTO retention_dirty (person_id)
SELECT id FROM persons WHERE number_state = 'held' AND (status = 'retired' OR dependant_until IS NOT NULL OR supporter_id IS NOT NULL);
INSERT OR IGNORE INTO retention_dirty (person_id) SELECT DISTINCT person_id FROM person_roles;
