-- An import being stored in committed chunks (services/import/import-persons.ts): its persons have
-- ids first_id..last_id, reserved up front (PersonsRepo.nextId skips them), and stay out of every
-- view of the register until the batch is published (row deleted together with the import's audit
-- event). A row whose process (pid) is gone is an import that crashed: the next open deletes its persons.
CREATE TABLE import_batches (
  id         INTEGER PRIMARY KEY,
  first_id   INTEGER NOT NULL,
  last_id    INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  CHECK (last_id >= first_id)
) STRICT;
