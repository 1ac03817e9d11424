import { randomBytes } from 'node:crypto';
import { decodeRedactions, redactionDigest, type TrailErasures } from '../audit/subject-names.js';
import { ERASED_NAME, tombstoneName } from '../domain/erasure.js';
import type { RawAuditRow } from './audit-repo.js';
import type { Db } from './database.js';
import { MultiRowInsert } from './multi-row-insert.js';

const RAW_COLUMNS = ['seq', 'at', 'actor_id', 'actor_name', 'action', 'subjects', 'purpose', 'client', 'device', 'detail', 'prev_hash', 'hash'].map((c) => `e.${c}`).join(', ');

/**
 * The erasable side of the audit trail (docs/erasure.md): the names of
 * version-2 rows and the per-person salts of their digests.
 */
export class AuditNamesRepo {
  private readonly saltStmt;
  private readonly insertNameStmt;
  private readonly insertSaltStmt;
  private readonly namesInsert: MultiRowInsert;
  private readonly saltsInsert: MultiRowInsert;

  constructor(private readonly db: Db) {
    this.saltStmt = db.prepare('SELECT salt FROM person_trail_salts WHERE person_id = ?').pluck();
    this.insertNameStmt = db.prepare('INSERT OR IGNORE INTO audit_subject_names (seq, person_id, name) VALUES (?, ?, ?)');
    this.insertSaltStmt = db.prepare('INSERT INTO person_trail_salts (person_id, salt) VALUES (?, ?)');
    this.namesInsert = new MultiRowInsert(db, 'INSERT OR IGNORE INTO audit_subject_names (seq, person_id, name)', 3, 300);
    this.saltsInsert = new MultiRowInsert(db, 'INSERT OR IGNORE INTO person_trail_salts (person_id, salt)', 2, 500);
  }

  /**
   * Makes the salts of persons about to be named (a bulk import's, while its
   * batch is hidden), in the caller's transaction, so the event that names
   * them finds each salt instead of making it under the write lock. A person
   * who has a salt keeps it.
   */
  createSalts(personIds: readonly number[]): void {
    if (personIds.length === 0) return;
    const random = randomBytes(16 * personIds.length);
    const values: unknown[] = [];
    personIds.forEach((id, i) => values.push(id, random.subarray(16 * i, 16 * (i + 1))));
    this.saltsInsert.run(values);
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
    if (entries.length === 1) this.insertNameStmt.run(seq, entries[0]!.id, entries[0]!.name);
    else if (entries.length > 1) this.namesInsert.run(entries.flatMap((e) => [seq, e.id, e.name]));
  }

  /** What the chain's 'person.erased' events say (read before a verifying walk): the persons, the rewritten version-1 rows. */
  erased(): TrailErasures {
    const persons = new Set(
      this.db
        .prepare(`SELECT s.person_id FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq WHERE e.action = 'person.erased'`)
        .pluck()
        .all() as number[],
    );
    const redactedV1 = new Map<number, string>();
    const lists = this.db.prepare(`SELECT json_extract(detail, '$.redacted_v1') FROM audit_events WHERE action = 'person.erased'`).pluck().all() as (string | null)[];
    for (const l of lists) if (typeof l === 'string' && l !== '') decodeRedactions(l, redactedV1);
    return { persons, redactedV1 };
  }

  /**
   * Rewrites the version-1 rows that name the person: their name becomes
   * 「削除済」 in the stored subjects. The table is append-only by trigger; the
   * trigger is lifted for these updates only, inside the caller's transaction.
   * Returns each rewritten row's seq and the digest of its new canonical form,
   * which the caller's 'person.erased' event attests (subject-names.ts).
   */
  redactLegacyRows(personId: number, canonicalOf: (row: RawAuditRow) => string): { seq: number; digest: string }[] {
    const rows = this.db
      .prepare(
        `SELECT ${RAW_COLUMNS} FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq
         WHERE s.person_id = ? AND e.subjects NOT GLOB '[[]{"id":*,"d":"*' ORDER BY e.seq`,
      )
      .raw()
      .all(personId) as RawAuditRow[];
    const out: { seq: number; digest: string }[] = [];
    const changed = rows.filter((r) => (JSON.parse(r[5]) as { id: number; name: string }[]).some((x) => x.id === personId && x.name !== tombstoneName(personId)));
    if (changed.length === 0) return out;
    const trigger = this.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_events_no_update'`).pluck().get() as string | undefined;
    if (trigger) this.db.exec('DROP TRIGGER audit_events_no_update');
    try {
      const update = this.db.prepare('UPDATE audit_events SET subjects = ? WHERE seq = ?');
      for (const r of changed) {
        const subjects = JSON.stringify((JSON.parse(r[5]) as { id: number; name: string }[]).map((x) => (x.id === personId ? { ...x, name: tombstoneName(personId) } : x)));
        update.run(subjects, r[0]);
        const row = [...r] as RawAuditRow;
        row[5] = subjects;
        out.push({ seq: r[0], digest: redactionDigest(canonicalOf(row)) });
      }
    } finally {
      if (trigger) this.db.exec(trigger);
    }
    return out;
  }

  /** Deletes a person's names and salt (their erasure); returns how many names went. */
  erase(personId: number): number {
    this.db.prepare('DELETE FROM person_trail_salts WHERE person_id = ?').run(personId);
    return this.db.prepare('DELETE FROM audit_subject_names WHERE person_id = ?').run(personId).changes;
  }

  /** How many version-1 rows (names inside the chained bytes) name the person; an erasure rewrites them. */
  legacyRowsNaming(personId: number): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq
         WHERE s.person_id = ? AND e.subjects NOT GLOB '[[]{"id":*,"d":"*'
           AND EXISTS (SELECT 1 FROM json_each(e.subjects) j WHERE json_extract(j.value, '$.id') = s.person_id AND json_extract(j.value, '$.name') NOT GLOB '${ERASED_NAME} #*')`,
      )
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
             OR EXISTS (SELECT 1 FROM reapplied_erasures x WHERE x.person_id = json_extract(j.value, '$.id')) THEN '${ERASED_NAME} #' || json_extract(j.value, '$.id')
           ELSE coalesce(json_extract(j.value, '$.name'),
                         (SELECT n.name FROM audit_subject_names n WHERE n.seq = ${a}.seq AND n.person_id = json_extract(j.value, '$.id')),
                         '${ERASED_NAME} #' || json_extract(j.value, '$.id')) END))
    FROM json_each(${a}.subjects) j) END)`;
}
