import type { NumberState, Person, PersonId, PersonKind } from '../domain/persons.js';
import type { Db } from './database.js';

export interface PersonSearch {
  q?: string;
  kind?: PersonKind;
  status?: 'active' | 'retired';
  page: number;
  perPage: number;
}

export interface PersonListRow {
  id: PersonId;
  kind: PersonKind;
  code: string | null;
  name: string;
  kana: string | null;
  status: 'active' | 'retired';
  dependantUntil: string | null;
  relationship: string | null;
  supporterName: string | null;
  /** False while a held number still lacks its 本人確認 record. */
  identityChecked: boolean;
  numberState: NumberState | null;
  refusalReason: string | null;
  /** When the number was destroyed, for state 'disposed'. */
  disposedAt: string | null;
}

export interface NumberRow {
  personId: PersonId;
  state: NumberState;
  sealed: Buffer | null;
  refusalReason: string | null;
  acquiredAt: string;
  /** When the number was destroyed (削除・廃棄), for state 'disposed'. */
  disposedAt: string | null;
  /** Purpose codes notified when the number was taken. */
  purposes: string[];
}

type PersonRow = Record<string, string | null> & { id: number; supporter_id: number | null };

function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    kind: r.kind as PersonKind,
    code: r.code ?? null,
    name: r.name!,
    kana: r.kana ?? null,
    birthDate: r.birth_date ?? null,
    relationship: r.relationship ?? null,
    supporterId: r.supporter_id ?? null,
    corporateNumber: r.corporate_number ?? null,
    status: r.status as Person['status'],
    retiredOn: r.retired_on ?? null,
  };
}

/** persons (個人情報) and person_numbers (特定個人情報: sealed numbers and their keyed index). */
export class PersonsRepo {
  private readonly insertPersonStmt;
  private readonly insertNumberStmt;
  private readonly indexExistsStmt;

  constructor(private readonly db: Db) {
    this.insertPersonStmt = db.prepare(
      `INSERT INTO persons (id, kind, code, name, kana, birth_date, relationship, supporter_id,
                            corporate_number, status, retired_on, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertNumberStmt = db.prepare(
      `INSERT INTO person_numbers (person_id, state, sealed, number_index, refusal_reason, acquired_at, purposes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.indexExistsStmt = db.prepare('SELECT 1 FROM person_numbers WHERE number_index = ?').pluck();
  }

  insertPerson(p: Person, at: string): void {
    this.insertPersonStmt.run(
      p.id, p.kind, p.code, p.name, p.kana, p.birthDate, p.relationship, p.supporterId,
      p.corporateNumber, p.status, p.retiredOn, at, at,
    );
  }

  insertSealedNumber(personId: PersonId, sealed: Buffer, index: Buffer, at: string, purposes: readonly string[]): void {
    this.insertNumberStmt.run(personId, 'held', sealed, index, null, at, JSON.stringify(purposes));
  }

  insertNotProvided(personId: PersonId, reason: string, at: string, purposes: readonly string[]): void {
    this.insertNumberStmt.run(personId, 'not_provided', null, null, reason, at, JSON.stringify(purposes));
  }

  /** Replaces whatever number record a person has (a refusal becomes a number, or the reverse). */
  deleteNumber(personId: PersonId): void {
    this.db.prepare('DELETE FROM person_numbers WHERE person_id = ?').run(personId);
  }

  updatePerson(p: Pick<Person, 'id' | 'code' | 'name' | 'kana' | 'birthDate' | 'relationship' | 'corporateNumber'>, at: string): void {
    this.db
      .prepare('UPDATE persons SET code = ?, name = ?, kana = ?, birth_date = ?, relationship = ?, corporate_number = ?, updated_at = ? WHERE id = ?')
      .run(p.code, p.name, p.kana, p.birthDate, p.relationship, p.corporateNumber, at, p.id);
  }

  retire(id: PersonId, retiredOn: string, at: string): void {
    this.db.prepare("UPDATE persons SET status = 'retired', retired_on = ?, updated_at = ? WHERE id = ?").run(retiredOn, at, id);
  }

  endDependant(id: PersonId, until: string, at: string): void {
    this.db.prepare('UPDATE persons SET dependant_until = ?, updated_at = ? WHERE id = ?').run(until, at, id);
  }

  dependantUntil(id: PersonId): string | null {
    return (this.db.prepare('SELECT dependant_until FROM persons WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  dependantsOf(id: PersonId): PersonListRow[] {
    return this.listRows('WHERE p.supporter_id = ?', [id], 'ORDER BY p.id', 1000, 0);
  }

  /**
   * Persons with a held number for an export set: active employees and their
   * current dependants, or active payees; supporters first, in register order.
   * With a year, also those who retired, ended or stopped being a dependant
   * during that year (their filings of the year are still due).
   */
  exportSet(set: 'employees' | 'payees', year?: number): PersonId[] {
    const from = year === undefined ? '9999-12-31' : `${year}-01-01`;
    const current = (alias: string) => `(${alias}.status = 'active' OR ${alias}.retired_on >= @from)`;
    // A role held beyond the primary one (person_roles) puts the person in the set too.
    const role = (kind: string, extra: string) => `EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = '${kind}' AND (r.ended_on IS NULL OR r.ended_on >= @from)${extra})`;
    const supporterCurrent = (col: string) => `EXISTS (SELECT 1 FROM persons s WHERE s.id = ${col} AND ${current('s')})`;
    const where =
      set === 'employees'
        ? `(p.kind = 'employee' AND ${current('p')}) OR (p.kind = 'dependant' AND (p.dependant_until IS NULL OR p.dependant_until >= @from) AND ${supporterCurrent('p.supporter_id')})
           OR ${role('employee', '')} OR ${role('dependant', ` AND ${supporterCurrent('r.supporter_id')}`)}`
        : `(p.kind = 'payee' AND ${current('p')}) OR ${role('payee', '')}`;
    return this.db
      .prepare(`SELECT p.id FROM persons p JOIN person_numbers n ON n.person_id = p.id AND n.state = 'held' WHERE ${where} ORDER BY coalesce(p.supporter_id, p.id), p.supporter_id IS NOT NULL, p.id`)
      .pluck()
      .all({ from }) as PersonId[];
  }

  /** The register: search by name, kana or code, filter, one page; plus the total. */
  search(s: PersonSearch): { rows: PersonListRow[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (s.q) {
      const like = `%${s.q.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;
      where.push("(p.name LIKE ? ESCAPE '\\' OR p.kana LIKE ? ESCAPE '\\' OR p.code LIKE ? ESCAPE '\\')");
      args.push(like, like, like);
    }
    if (s.kind) {
      where.push('p.kind = ?');
      args.push(s.kind);
    }
    if (s.status) {
      where.push('p.status = ?');
      args.push(s.status);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare(`SELECT count(*) FROM persons p ${clause}`).pluck().get(...args) as number;
    const rows = this.listRows(clause, args, 'ORDER BY p.kana IS NULL, p.kana, p.id', s.perPage, (s.page - 1) * s.perPage);
    return { rows, total };
  }

  /**
   * One page: the ids are picked from persons alone (along the register-order
   * index), then only those rows are joined to their numbers (a deferred join).
   */
  private listRows(clause: string, args: unknown[], order: string, limit: number, offset: number): PersonListRow[] {
    const raw = this.db
      .prepare(
        `SELECT p.id, p.kind, p.code, p.name, p.kana, p.status, p.dependant_until, n.state, n.refusal_reason, p.relationship,
                (SELECT s.name FROM persons s WHERE s.id = p.supporter_id),
                EXISTS (SELECT 1 FROM identity_checks c WHERE c.person_id = p.id), n.disposed_at
         FROM (SELECT p.id FROM persons p ${clause} ${order} LIMIT ? OFFSET ?) page
         JOIN persons p ON p.id = page.id LEFT JOIN person_numbers n ON n.person_id = p.id ${order}`,
      )
      .raw()
      .all(...args, limit, offset) as [number, PersonKind, string | null, string, string | null, 'active' | 'retired', string | null, NumberState | null, string | null, string | null, string | null, number, string | null][];
    return raw.map((r) => ({
      id: r[0], kind: r[1], code: r[2], name: r[3], kana: r[4], status: r[5], dependantUntil: r[6], numberState: r[7], refusalReason: r[8], relationship: r[9], supporterName: r[10], identityChecked: r[11] === 1, disposedAt: r[12],
    }));
  }

  indexExists(index: Buffer): boolean {
    return this.indexExistsStmt.get(index) !== undefined;
  }

  /** The keyed index of the person's held number, if any. */
  indexOf(personId: PersonId): Buffer | undefined {
    return (this.db.prepare("SELECT number_index FROM person_numbers WHERE person_id = ? AND state = 'held'").pluck().get(personId) as Buffer | null | undefined) ?? undefined;
  }

  /** The person whose number has this keyed index, if any. */
  personWithIndex(index: Buffer): PersonId | undefined {
    return this.db.prepare('SELECT person_id FROM person_numbers WHERE number_index = ?').pluck().get(index) as PersonId | undefined;
  }

  /** Code → id of every registered person of a kind (for linking and duplicate checks). */
  codes(kind: PersonKind): Map<string, PersonId> {
    const rows = this.db.prepare('SELECT code, id FROM persons WHERE kind = ? AND code IS NOT NULL').raw().all(kind) as [string, number][];
    return new Map(rows);
  }

  byId(id: PersonId): Person | undefined {
    const r = this.db.prepare('SELECT * FROM persons WHERE id = ?').get(id) as PersonRow | undefined;
    return r && toPerson(r);
  }

  /** Every person with the date they stopped being a dependant, by id (one query, for batch decisions). */
  allById(): Map<PersonId, { person: Person; dependantUntil: string | null }> {
    const rows = this.db.prepare('SELECT * FROM persons').all() as PersonRow[];
    return new Map(rows.map((r) => [r.id, { person: toPerson(r), dependantUntil: r.dependant_until ?? null }]));
  }

  /** The first person whose sealed number is held (a restore's drill opens it). */
  firstHeldNumber(): PersonId | undefined {
    return this.db.prepare("SELECT person_id FROM person_numbers WHERE state = 'held' AND sealed IS NOT NULL ORDER BY person_id LIMIT 1").pluck().get() as PersonId | undefined;
  }

  heldNumberCount(): number {
    return this.db.prepare("SELECT count(*) FROM person_numbers WHERE state = 'held'").pluck().get() as number;
  }

  /** Held sealed numbers after a person id, in order: a key rotation walks them in batches. */
  heldSealedAfter(cursor: PersonId, limit: number): { person_id: PersonId; sealed: Buffer }[] {
    return this.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE person_id > ? AND state = 'held' ORDER BY person_id LIMIT ?").all(cursor, limit) as { person_id: PersonId; sealed: Buffer }[];
  }

  replaceSealed(personId: PersonId, sealed: Buffer): void {
    this.db.prepare("UPDATE person_numbers SET sealed = ? WHERE person_id = ? AND state = 'held'").run(sealed, personId);
  }

  iterateHeldSealed(): IterableIterator<Buffer> {
    return this.db.prepare("SELECT sealed FROM person_numbers WHERE state = 'held'").pluck().iterate() as IterableIterator<Buffer>;
  }

  numberOf(id: PersonId): NumberRow | undefined {
    const r = this.db
      .prepare('SELECT person_id, state, sealed, refusal_reason, acquired_at, disposed_at, purposes FROM person_numbers WHERE person_id = ?')
      .get(id) as { person_id: number; state: NumberState; sealed: Buffer | null; refusal_reason: string | null; acquired_at: string; disposed_at: string | null; purposes: string | null } | undefined;
    return r && { personId: r.person_id, state: r.state, sealed: r.sealed, refusalReason: r.refusal_reason, acquiredAt: r.acquired_at, disposedAt: r.disposed_at, purposes: r.purposes ? (JSON.parse(r.purposes) as string[]) : [] };
  }

  /** The id the next inserted person gets; call inside the write transaction. */
  nextId(): PersonId {
    return (this.db.prepare('SELECT coalesce(max(id), 0) + 1 FROM persons').pluck().get() as number);
  }

  count(): { persons: number; held: number; notProvided: number } {
    const persons = this.db.prepare('SELECT count(*) FROM persons').pluck().get() as number;
    const rows = this.db.prepare('SELECT state, count(*) FROM person_numbers GROUP BY state').raw().all() as [NumberState, number][];
    const by = new Map(rows);
    return { persons, held: by.get('held') ?? 0, notProvided: by.get('not_provided') ?? 0 };
  }
}
