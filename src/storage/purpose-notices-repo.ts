import type { PersonId, PersonKind } from '../domain/persons.js';
import type { Db } from './database.js';

export type NoticeVia = 'handler' | 'self_intake' | 'import' | 'additional';

export interface PurposeNoticeRow {
  id: number;
  personId: PersonId;
  role: PersonKind;
  purposes: string[];
  notifiedOn: string;
  via: NoticeVia;
  actorId: string;
  createdAt: string;
}

/** Rows per statement of insertMany (7 values each, far below SQLite's 32,766 variables). */
const NOTICE_BATCH = 200;

/** purpose_notices (利用目的の通知), purpose_co_approvals, and who an export left out because of them. */
export class PurposeNoticesRepo {
  /** One multi-row INSERT per batch size, prepared once (a bulk import writes a notice per person). */
  private readonly insertManyStmts = new Map<number, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {}

  /**
   * Inserts many notices in the caller's transaction, `NOTICE_BATCH` rows per
   * statement: the same rows as `insert` one by one, without a statement
   * compiled and a call made per row.
   */
  insertMany(rows: readonly Omit<PurposeNoticeRow, 'id'>[]): void {
    for (let i = 0; i < rows.length; i += NOTICE_BATCH) {
      const batch = rows.slice(i, i + NOTICE_BATCH);
      let stmt = this.insertManyStmts.get(batch.length);
      if (!stmt) {
        stmt = this.db.prepare(`INSERT INTO purpose_notices (person_id, role, purposes, notified_on, via, actor_id, created_at) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
        this.insertManyStmts.set(batch.length, stmt);
      }
      const args: unknown[] = [];
      for (const n of batch) args.push(n.personId, n.role, JSON.stringify(n.purposes), n.notifiedOn, n.via, n.actorId, n.createdAt);
      stmt.run(args);
    }
  }

  insert(n: Omit<PurposeNoticeRow, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO purpose_notices (person_id, role, purposes, notified_on, via, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(n.personId, n.role, JSON.stringify(n.purposes), n.notifiedOn, n.via, n.actorId, n.createdAt).lastInsertRowid,
    );
  }

  /** Every notice to a person, oldest first. */
  forPerson(personId: PersonId): PurposeNoticeRow[] {
    const rows = this.db.prepare('SELECT * FROM purpose_notices WHERE person_id = ? ORDER BY id').all(personId) as {
      id: number; person_id: number; role: PersonKind; purposes: string; notified_on: string; via: NoticeVia; actor_id: string; created_at: string;
    }[];
    return rows.map((r) => ({ id: r.id, personId: r.person_id, role: r.role, purposes: JSON.parse(r.purposes) as string[], notifiedOn: r.notified_on, via: r.via, actorId: r.actor_id, createdAt: r.created_at }));
  }

  /** Every person's notified purposes: those stored with the number and those of every notice (one pass, for batches). */
  notifiedAll(): Map<PersonId, Set<string>> {
    const out = new Map<PersonId, Set<string>>();
    const add = (id: PersonId, json: string | null) => {
      if (!json) return;
      let set = out.get(id);
      if (!set) out.set(id, (set = new Set()));
      for (const c of JSON.parse(json) as string[]) set.add(c);
    };
    for (const r of this.db.prepare('SELECT person_id, purposes FROM person_numbers').raw().iterate() as IterableIterator<[number, string | null]>) add(r[0], r[1]);
    for (const r of this.db.prepare('SELECT person_id, purposes FROM purpose_notices').raw().iterate() as IterableIterator<[number, string]>) add(r[0], r[1]);
    return out;
  }

  insertCoApproval(c: { personId: PersonId; purpose: string; note: string; approvedBy: string; approvedAt: string; validUntil: string }): number {
    return Number(
      this.db
        .prepare('INSERT INTO purpose_co_approvals (person_id, purpose, note, approved_by, approved_at, valid_until) VALUES (?, ?, ?, ?, ?, ?)')
        .run(c.personId, c.purpose, c.note, c.approvedBy, c.approvedAt, c.validUntil).lastInsertRowid,
    );
  }

  /** An unused co-approval still valid at `at`, if any. */
  openCoApproval(personId: PersonId, purpose: string, at: string): { id: number; note: string } | undefined {
    return this.db
      .prepare('SELECT id, note FROM purpose_co_approvals WHERE person_id = ? AND purpose = ? AND used_at IS NULL AND valid_until > ? ORDER BY id LIMIT 1')
      .get(personId, purpose, at) as { id: number; note: string } | undefined;
  }

  useCoApproval(id: number, at: string): void {
    this.db.prepare('UPDATE purpose_co_approvals SET used_at = ? WHERE id = ? AND used_at IS NULL').run(at, id);
  }

  insertLeftOut(requestId: number, rows: readonly { personId: PersonId; reason: string }[]): void {
    const stmt = this.db.prepare('INSERT INTO export_left_out (request_id, person_id, reason) VALUES (?, ?, ?)');
    for (const r of rows) stmt.run(requestId, r.personId, r.reason);
  }

  leftOut(requestId: number): { personId: PersonId; name: string; reason: string }[] {
    return this.db
      .prepare('SELECT l.person_id AS personId, p.name, l.reason FROM export_left_out l JOIN persons p ON p.id = l.person_id WHERE l.request_id = ? ORDER BY l.person_id')
      .all(requestId) as { personId: PersonId; name: string; reason: string }[];
  }
}
