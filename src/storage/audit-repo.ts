import { AuditNamesRepo, shownSubjects } from './audit-names-repo.js';
import type { Db } from './database.js';
import type { AuditAction } from '../domain/audit-events.js';
import { MultiRowInsert } from './multi-row-insert.js';

/** An audit_events row in column order: the fields the canonical form covers, then prev_hash and hash. */
export type AuditFields = [
  seq: number,
  at: string,
  actorId: string,
  actorName: string,
  action: string,
  subjects: string,
  purpose: string | null,
  client: string | null,
  device: string | null,
  detail: string,
];
export type RawAuditRow = [...AuditFields, prevHash: Buffer, hash: Buffer];

/** An audit row by name, for code that reads its fields (the chain keeps the tuple: its canonical form is by position). */
export interface AuditRow {
  seq: number;
  at: string;
  actorId: string;
  actorName: string;
  action: string;
  /** JSON: [{ id, name }] of the persons the event names. */
  subjects: string;
  purpose: string | null;
  client: string | null;
  device: string | null;
  /** JSON object of the event's detail. */
  detail: string;
  prevHash: Buffer;
  hash: Buffer;
}

/** Names the fields of a row read in column order. */
export function namedAuditRow(row: RawAuditRow): AuditRow {
  const [seq, at, actorId, actorName, action, subjects, purpose, client, device, detail, prevHash, hash] = row;
  return { seq, at, actorId, actorName, action, subjects, purpose, client, device, detail, prevHash, hash };
}

const COLUMNS = 'seq, at, actor_id, actor_name, action, subjects, purpose, client, device, detail, prev_hash, hash';
/** The columns for readers: subjects with names resolved (alias e). The verifier reads COLUMNS as stored. */
const BESIDE = `CASE WHEN e.subjects = '[]' THEN NULL ELSE (SELECT json_group_array(json_array(n.person_id, n.name, hex(t.salt)))
  FROM audit_subject_names n LEFT JOIN person_trail_salts t ON t.person_id = n.person_id WHERE n.seq = e.seq) END`;
/**
 * A person's history: the rows without their subjects (always '[]'). One import's event names every
 * person it stored, a million at scale, and the person page shows only when, who, what and why.
 * The columns stored after subjects other than purpose (client, device, detail, the hashes) are NULL
 * here: SQLite reaches a non-NULL column after a 43 MB subjects value only by walking (and decrypting)
 * every overflow page of it, 82 ms per person page at a million persons; without them 0.6 ms.
 */
const HISTORY = columnsWithSubjects(`'[]'`)
  .split(', ')
  .map((c) => (/^e\.(client|device|detail|prev_hash|hash)$/u.test(c) ? `NULL AS ${c.slice(2)}` : c))
  .join(', ');
export const SHOWN = columnsWithSubjects(shownSubjects('e'));

/** COLUMNS of alias e, in their order, with subjects read through `expr`. */
function columnsWithSubjects(expr: string): string {
  return COLUMNS.split(', ').map((c) => (c === 'subjects' ? `${expr} AS subjects` : `e.${c}`)).join(', ');
}

export class AuditRepo {
  private readonly insertStmt;
  private readonly headStmt;
  private readonly subjectStmt;
  private readonly subjectsInsert: MultiRowInsert;
  /** The erasable names of version-2 rows (docs/erasure.md). */
  readonly names: AuditNamesRepo;

  constructor(private readonly db: Db) {
    this.names = new AuditNamesRepo(db);
    this.insertStmt = db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.headStmt = db.prepare('SELECT seq, hash, at FROM audit_events ORDER BY seq DESC LIMIT 1').raw();
    this.subjectStmt = db.prepare('INSERT OR IGNORE INTO audit_subjects (person_id, seq) VALUES (?, ?)');
    this.subjectsInsert = new MultiRowInsert(db, 'INSERT OR IGNORE INTO audit_subjects (person_id, seq)', 2, 500);
  }

  /** The newest event's seq, hash and time. */
  head(): { seq: number; hash: Buffer; at: string } | undefined {
    const r = this.headStmt.get() as [number, Buffer, string] | undefined;
    return r && { seq: r[0], hash: r[1], at: r[2] };
  }

  /** Inserts the row and indexes it under each person it names. */
  insert(row: RawAuditRow, personIds: readonly number[]): void {
    this.insertStmt.run(row);
    if (personIds.length === 1) this.subjectStmt.run(personIds[0], row[0]);
    else if (personIds.length > 1) this.subjectsInsert.run(personIds.flatMap((id) => [id, row[0]]));
  }

  /** The detail (JSON) of the newest event of an action, if any. */
  lastDetailOf(action: AuditAction): string | undefined {
    return this.db.prepare('SELECT detail FROM audit_events WHERE action = ? ORDER BY seq DESC LIMIT 1').pluck().get(action) as string | undefined;
  }

  /** The events that name a person, newest first, without their subjects (see HISTORY). */
  forPerson(personId: number, limit = 200): RawAuditRow[] {
    return this.db
      .prepare(
        `SELECT ${HISTORY} FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq
         WHERE s.person_id = ? ORDER BY s.seq DESC LIMIT ?`,
      )
      .raw()
      .all(personId, limit) as RawAuditRow[];
  }

  /** The newest events, optionally from one action, newest first. */
  latest(limit = 50): RawAuditRow[] {
    return this.db.prepare(`SELECT ${SHOWN} FROM audit_events e ORDER BY seq DESC LIMIT ?`).raw().all(limit) as RawAuditRow[];
  }

  /**
   * Rows in seq order from `fromSeq`, as arrays (the verifier's hot path),
   * each with one more element: the erasable names read beside a row that
   * names persons, JSON [[personId, name, hex salt]] (docs/erasure.md).
   */
  iterateRaw(fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER): IterableIterator<RawAuditRow> {
    return this.db
      .prepare(`SELECT ${COLUMNS}, ${BESIDE} FROM audit_events e WHERE seq >= ? AND seq <= ? ORDER BY seq`)
      .raw()
      .iterate(fromSeq, toSeq) as IterableIterator<RawAuditRow>;
  }

  /** Rows in seq order from `fromSeq`, names as shown (「削除済」 once erased): for readers, never for verifying. */
  iterateShown(fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER): IterableIterator<RawAuditRow> {
    return this.db.prepare(`SELECT ${SHOWN} FROM audit_events e WHERE seq >= ? AND seq <= ? ORDER BY seq`).raw().iterate(fromSeq, toSeq) as IterableIterator<RawAuditRow>;
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM audit_events').pluck().get() as number;
  }
}
