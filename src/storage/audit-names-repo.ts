import { randomBytes } from 'node:crypto';
import { ERASED_NAME } from '../domain/erasure.js';
import type { Db } from './database.js';

/**
 * The erasable side of the audit trail (docs/erasure.md): the names of
 * version-2 rows and the per-person salts of their digests.
 */
export class AuditNamesRepo {
  private readonly saltStmt;
  private readonly insertNameStmt;
  private readonly insertSaltStmt;

  constructor(private readonly db: Db) {
    this.saltStmt = db.prepare('SELECT salt FROM person_trail_salts WHERE person_id = ?').pluck();
    this.insertNameStmt = db.prepare('INSERT OR IGNORE INTO audit_subject_names (seq, person_id, name) VALUES (?, ?, ?)');
    this.insertSaltStmt = db.prepare('INSERT INTO person_trail_salts (person_id, salt) VALUES (?, ?)');
  }

  /** The person's salt, made on first use, inside the caller's transaction. Never cached: a rollback would leave a stale one. */
  saltFor(personId: number): Buffer {
    const have = this.saltStmt.get(personId) as Buffer | undefined;
    if (have) return have;
    const salt = randomBytes(16);
    this.insertSaltStmt.run(personId, salt);
    return salt;
  }

  insertNames(seq: number, entries: readonly { id: number; name: string }[]): void {
    for (const e of entries) this.insertNameStmt.run(seq, e.id, e.name);
  }

  /** Persons named by a 'person.erased' event of the chain (read before a verifying walk). */
  erased(): ReadonlySet<number> {
    return new Set(
      this.db
        .prepare(`SELECT s.person_id FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq WHERE e.action = 'person.erased'`)
        .pluck()
        .all() as number[],
    );
  }

  /** Deletes a person's names and salt (their erasure); returns how many names went. */
  erase(personId: number): number {
    this.db.prepare('DELETE FROM person_trail_salts WHERE person_id = ?').run(personId);
    return this.db.prepare('DELETE FROM audit_subject_names WHERE person_id = ?').run(personId).changes;
  }

  /** How many version-1 rows (names inside the chained bytes) name the person. */
  legacyRowsNaming(personId: number): number {
    return this.db
      .prepare(`SELECT count(*) FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq WHERE s.person_id = ? AND e.subjects NOT GLOB '[[]{"id":*,"d":"*'`)
      .pluck()
      .get(personId) as number;
  }
}

/**
 * The subjects of an audit row as readers see them: JSON [{id, name}], the
 * name from audit_subject_names for a version-2 row, and 「削除済」 for a
 * person whose erasure was executed (in rows of either version). `alias` is
 * the audit_events alias of the query.
 */
export function shownSubjects(alias: string): string {
  const a = alias;
  return `(CASE WHEN ${a}.subjects = '[]' THEN '[]' ELSE (SELECT json_group_array(json_object('id', json_extract(j.value, '$.id'), 'name',
      CASE WHEN EXISTS (SELECT 1 FROM person_erasures x WHERE x.person_id = json_extract(j.value, '$.id') AND x.state = 'executed')
             OR EXISTS (SELECT 1 FROM reapplied_erasures x WHERE x.person_id = json_extract(j.value, '$.id')) THEN '${ERASED_NAME}'
           ELSE coalesce(json_extract(j.value, '$.name'),
                         (SELECT n.name FROM audit_subject_names n WHERE n.seq = ${a}.seq AND n.person_id = json_extract(j.value, '$.id')),
                         '${ERASED_NAME}') END))
    FROM json_each(${a}.subjects) j) END)`;
}
