-- Erasure of a person's identifying data after disposal (docs/erasure.md).
--
-- Audit rows that name persons are written in canonical version 2
-- (src/audit/chain.ts): the chained subjects hold each person's id and a keyed
-- digest of the name; the readable name lives here, outside the append-only
-- table, so it can be erased without breaking the chain.
CREATE TABLE audit_subject_names (
  seq       INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  name      TEXT NOT NULL,
  PRIMARY KEY (seq, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_subject_names_person ON audit_subject_names(person_id);

-- A random salt per person that goes into every digest of their name: erased
-- with the name, so the digests left in the chain can no longer be tested
-- against a guessed name, even by a holder of the audit key.
CREATE TABLE person_trail_salts (
  person_id INTEGER PRIMARY KEY,
  salt      BLOB NOT NULL
) STRICT;

-- Erasure requests: an admin proposes, another admin approves (a sole admin
-- may approve their own, recorded as same_person), as disposal does.
CREATE TABLE person_erasures (
  id               INTEGER PRIMARY KEY,
  person_id        INTEGER NOT NULL REFERENCES persons(id),
  state            TEXT NOT NULL CHECK (state IN ('proposed', 'executed', 'cancelled')),
  proposed_by      TEXT NOT NULL,
  proposed_by_name TEXT NOT NULL,
  proposed_at      TEXT NOT NULL,
  approved_by      TEXT,
  approved_by_name TEXT,
  executed_at      TEXT,
  same_person      INTEGER NOT NULL DEFAULT 0 CHECK (same_person IN (0, 1)),
  cancelled_by     TEXT,
  cancelled_at     TEXT,
  CHECK ((state = 'executed') = (executed_at IS NOT NULL AND approved_by IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX person_erasures_open ON person_erasures(person_id) WHERE state IN ('proposed', 'executed');

-- Erasures re-applied after a restore from the ledger outside the vault (as reapplied_disposals).
CREATE TABLE reapplied_erasures (
  erasure_id   INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL,
  executed_at  TEXT NOT NULL,
  reapplied_at TEXT NOT NULL
) STRICT;
