import type { PersonId } from '../domain/persons.js';
import type { Db } from './database.js';

/** Persons whose sealed 個人番号 is held: one query for a whole filing file's matching. */
export function heldNumberPersonIds(db: Db): Set<PersonId> {
  return new Set(db.prepare("SELECT person_id FROM person_numbers WHERE state = 'held' AND sealed IS NOT NULL").pluck().all() as PersonId[]);
}
