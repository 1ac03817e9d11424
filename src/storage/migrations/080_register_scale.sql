-- The register at a million persons: its order, filters, counts and search answered
-- from indexes and maintained counters, never by reading every person.

-- Register order: kana, persons without kana last, then id. A virtual column, so
-- the order is one index and a page is a keyset seek on (register_key, id).
ALTER TABLE persons ADD COLUMN register_key TEXT GENERATED ALWAYS AS (coalesce(kana, char(1114111))) VIRTUAL;

-- Mirrors kept by the triggers below, so the 未取得 and 本人確認未了 filters are
-- partial indexes on persons instead of anti-joins over every row.
ALTER TABLE persons ADD COLUMN number_state TEXT;
ALTER TABLE persons ADD COLUMN identity_checked INTEGER NOT NULL DEFAULT 0;
-- Normalised name and kana (see domain/search-text.ts), written by the repository.
ALTER TABLE persons ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE persons SET number_state = (SELECT n.state FROM person_numbers n WHERE n.person_id = persons.id);
UPDATE persons SET identity_checked = EXISTS (SELECT 1 FROM identity_checks c WHERE c.person_id = persons.id);

DROP INDEX persons_kana;
DROP INDEX persons_register_order;
CREATE INDEX persons_register ON persons(register_key, id);
CREATE INDEX persons_register_kind ON persons(kind, register_key, id);
CREATE INDEX persons_register_status ON persons(status, register_key, id);
CREATE INDEX persons_register_kind_status ON persons(kind, status, register_key, id);
CREATE INDEX persons_register_missing ON persons(register_key, id) WHERE number_state IS NULL;
CREATE INDEX persons_register_unchecked ON persons(register_key, id) WHERE number_state = 'held' AND identity_checked = 0;

-- A person inserted with its number's state already set (a bulk import) is left alone.
CREATE TRIGGER person_numbers_state_ai AFTER INSERT ON person_numbers BEGIN
  UPDATE persons SET number_state = NEW.state WHERE id = NEW.person_id AND number_state IS NOT NEW.state;
END;
CREATE TRIGGER person_numbers_state_au AFTER UPDATE OF state ON person_numbers BEGIN
  UPDATE persons SET number_state = NEW.state WHERE id = NEW.person_id AND number_state IS NOT NEW.state;
END;
CREATE TRIGGER person_numbers_state_ad AFTER DELETE ON person_numbers BEGIN
  UPDATE persons SET number_state = NULL WHERE id = OLD.person_id;
END;
CREATE TRIGGER identity_checks_ai AFTER INSERT ON identity_checks BEGIN
  UPDATE persons SET identity_checked = 1 WHERE id = NEW.person_id AND identity_checked = 0;
END;
CREATE TRIGGER identity_checks_ad AFTER DELETE ON identity_checks BEGIN
  UPDATE persons SET identity_checked = EXISTS (SELECT 1 FROM identity_checks c WHERE c.person_id = OLD.person_id)
   WHERE id = OLD.person_id;
END;

-- Counts for every combination the register and home pages show: kind (or *),
-- status (or *), and the number filter (missing = 未取得, unchecked = 本人確認未了, n:<state>
-- for each number state, or *).
-- Key: 'k=<kind|*>;s=<status|*>;f=<missing|unchecked|*>'.
CREATE TABLE register_counts (
  key TEXT PRIMARY KEY,
  n   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A bulk import of new persons pauses the per-row counting inside its own
-- transaction and adds the counts of the ids it inserted once, at the end
-- (PersonsRepo.pauseCounts / resumeCounts). No other connection ever sees a row here.
CREATE TABLE register_counts_paused (
  one INTEGER PRIMARY KEY CHECK (one = 1)
) STRICT;

CREATE TRIGGER persons_count_ai AFTER INSERT ON persons
WHEN NOT EXISTS (SELECT 1 FROM register_counts_paused) BEGIN
  INSERT INTO register_counts (key, n)
  SELECT 'k=' || k || ';s=' || s || ';f=' || f, 1
    FROM (SELECT NEW.kind AS k UNION ALL SELECT '*')
    CROSS JOIN (SELECT NEW.status AS s UNION ALL SELECT '*')
    CROSS JOIN (SELECT '*' AS f UNION ALL
                SELECT CASE WHEN NEW.number_state IS NULL THEN 'missing'
                            WHEN NEW.number_state = 'held' AND NEW.identity_checked = 0 THEN 'unchecked' END
                UNION ALL SELECT 'n:' || NEW.number_state)
   WHERE f IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER persons_count_ad AFTER DELETE ON persons
WHEN NOT EXISTS (SELECT 1 FROM register_counts_paused) BEGIN
  UPDATE register_counts SET n = n - 1 WHERE key IN (
    SELECT 'k=' || k || ';s=' || s || ';f=' || f
      FROM (SELECT OLD.kind AS k UNION ALL SELECT '*')
      CROSS JOIN (SELECT OLD.status AS s UNION ALL SELECT '*')
      CROSS JOIN (SELECT '*' AS f UNION ALL
                  SELECT CASE WHEN OLD.number_state IS NULL THEN 'missing'
                              WHEN OLD.number_state = 'held' AND OLD.identity_checked = 0 THEN 'unchecked' END
                  UNION ALL SELECT 'n:' || OLD.number_state)
     WHERE f IS NOT NULL);
END;
CREATE TRIGGER persons_count_au AFTER UPDATE OF kind, status, number_state, identity_checked ON persons
WHEN (OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status
   OR OLD.number_state IS NOT NEW.number_state OR OLD.identity_checked IS NOT NEW.identity_checked)
  AND NOT EXISTS (SELECT 1 FROM register_counts_paused) BEGIN
  UPDATE register_counts SET n = n - 1 WHERE key IN (
    SELECT 'k=' || k || ';s=' || s || ';f=' || f
      FROM (SELECT OLD.kind AS k UNION ALL SELECT '*')
      CROSS JOIN (SELECT OLD.status AS s UNION ALL SELECT '*')
      CROSS JOIN (SELECT '*' AS f UNION ALL
                  SELECT CASE WHEN OLD.number_state IS NULL THEN 'missing'
                              WHEN OLD.number_state = 'held' AND OLD.identity_checked = 0 THEN 'unchecked' END
                  UNION ALL SELECT 'n:' || OLD.number_state)
     WHERE f IS NOT NULL);
  INSERT INTO register_counts (key, n)
  SELECT 'k=' || k || ';s=' || s || ';f=' || f, 1
    FROM (SELECT NEW.kind AS k UNION ALL SELECT '*')
    CROSS JOIN (SELECT NEW.status AS s UNION ALL SELECT '*')
    CROSS JOIN (SELECT '*' AS f UNION ALL
                SELECT CASE WHEN NEW.number_state IS NULL THEN 'missing'
                            WHEN NEW.number_state = 'held' AND NEW.identity_checked = 0 THEN 'unchecked' END
                UNION ALL SELECT 'n:' || NEW.number_state)
   WHERE f IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET n = n + excluded.n;
END;

-- Seed the counts for persons registered before this migration.
INSERT INTO register_counts (key, n)
SELECT 'k=' || (CASE WHEN any_kind THEN '*' ELSE k END) || ';s=' || (CASE WHEN any_status THEN '*' ELSE s END) || ';f=' || f, count(*)
  FROM (SELECT kind AS k, status AS s, '*' AS f FROM persons
        UNION ALL
        SELECT kind, status, CASE WHEN number_state IS NULL THEN 'missing'
                                  WHEN number_state = 'held' AND identity_checked = 0 THEN 'unchecked' END FROM persons
        UNION ALL
        SELECT kind, status, 'n:' || number_state FROM persons)
  CROSS JOIN (SELECT 0 AS any_kind UNION ALL SELECT 1)
  CROSS JOIN (SELECT 0 AS any_status UNION ALL SELECT 1)
 WHERE f IS NOT NULL
 GROUP BY 1;

-- Search: each person's grams (pairs of adjacent characters of the normalised name
-- and kana), each beside the person's register key, so one gram's rows are already
-- in register order and a page of results is a keyset seek on one gram.
CREATE TABLE person_grams (
  gram         TEXT NOT NULL,
  register_key TEXT NOT NULL,
  person_id    INTEGER NOT NULL,
  PRIMARY KEY (gram, register_key, person_id)
) STRICT, WITHOUT ROWID;
