import type { NumberState, Person, PersonId, PersonKind } from '../domain/persons.js';
import type { Db } from './database.js';

export interface NumberRow {
  personId: PersonId;
  state: NumberState;
  sealed: Buffer | null;
  refusalReason: string | null;
  acquiredAt: string;
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
      `INSERT INTO person_numbers (person_id, state, sealed, number_index, refusal_reason, acquired_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.indexExistsStmt = db.prepare('SELECT 1 FROM person_numbers WHERE number_index = ?').pluck();
  }

  insertPerson(p: Person, at: string): void {
    this.insertPersonStmt.run(
      p.id, p.kind, p.code, p.name, p.kana, p.birthDate, p.relationship, p.supporterId,
      p.corporateNumber, p.status, p.retiredOn, at, at,
    );
  }

  insertSealedNumber(personId: PersonId, sealed: Buffer, index: Buffer, at: string): void {
    this.insertNumberStmt.run(personId, 'held', sealed, index, null, at);
  }

  insertNotProvided(personId: PersonId, reason: string, at: string): void {
    this.insertNumberStmt.run(personId, 'not_provided', null, null, reason, at);
  }

  indexExists(index: Buffer): boolean {
    return this.indexExistsStmt.get(index) !== undefined;
  }

  /** Code → id of every registered person of a kind (for linking and duplicate checks). */
  codes(kind: PersonKind): Map<string, PersonId> {
    const rows = this.db.prepare('SELECT code, id FROM persons WHERE kind = ? AND code IS NOT NULL').raw().all(kind) as [string, number][];
    return new Map(rows);
  }

  byId(id: PersonId): Person | undefined {
    const r = this.db.prepare('SELECT * FROM persons WHERE id = ?').get(id) as (Record<string, string | null> & { id: number; supporter_id: number | null }) | undefined;
    if (!r) return undefined;
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

  numberOf(id: PersonId): NumberRow | undefined {
    const r = this.db
      .prepare('SELECT person_id, state, sealed, refusal_reason, acquired_at FROM person_numbers WHERE person_id = ?')
      .get(id) as { person_id: number; state: NumberState; sealed: Buffer | null; refusal_reason: string | null; acquired_at: string } | undefined;
    return r && { personId: r.person_id, state: r.state, sealed: r.sealed, refusalReason: r.refusal_reason, acquiredAt: r.acquired_at };
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
