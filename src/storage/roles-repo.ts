import type { PersonId, PersonKind } from '../domain/persons.js';
import type { PersonRole } from '../domain/roles.js';
import type { Db } from './database.js';

/** person_roles: the roles a person holds beyond the primary one (persons.kind). */
export class RolesRepo {
  constructor(private readonly db: Db) {}

  insert(personId: PersonId, r: Omit<PersonRole, 'primary' | 'endedOn' | 'lastPaidOn'>, startedOn: string, at: string): number {
    return Number(
      this.db
        .prepare('INSERT INTO person_roles (person_id, role, code, supporter_id, relationship, started_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(personId, r.role, r.code, r.supporterId, r.relationship, startedOn, at).lastInsertRowid,
    );
  }

  forPerson(personId: PersonId): (PersonRole & { id: number })[] {
    const rows = this.db.prepare('SELECT * FROM person_roles WHERE person_id = ? ORDER BY id').all(personId) as {
      id: number; role: PersonKind; code: string | null; supporter_id: number | null; relationship: string | null; ended_on: string | null; last_paid_on: string | null;
    }[];
    return rows.map((r) => ({ id: r.id, role: r.role, primary: false, code: r.code, supporterId: r.supporter_id, relationship: r.relationship, endedOn: r.ended_on, lastPaidOn: r.last_paid_on }));
  }

  /** Every further role, by person (one query, for batches). */
  allByPerson(): Map<PersonId, PersonRole[]> {
    const out = new Map<PersonId, PersonRole[]>();
    const rows = this.db.prepare('SELECT person_id, role, code, supporter_id, relationship, ended_on, last_paid_on FROM person_roles ORDER BY id').raw().all() as [number, PersonKind, string | null, number | null, string | null, string | null, string | null][];
    for (const r of rows) out.set(r[0], [...(out.get(r[0]) ?? []), { role: r[1], primary: false, code: r[2], supporterId: r[3], relationship: r[4], endedOn: r[5], lastPaidOn: r[6] }]);
    return out;
  }

  end(id: number, endedOn: string): void {
    this.db.prepare('UPDATE person_roles SET ended_on = ? WHERE id = ?').run(endedOn, id);
  }

  /** 最終支払日 of an ended role (a retention input of that role). */
  setLastPaidOn(id: number, paidOn: string): void {
    this.db.prepare('UPDATE person_roles SET last_paid_on = ? WHERE id = ?').run(paidOn, id);
  }

  codeTaken(role: PersonKind, code: string): boolean {
    return this.db.prepare('SELECT 1 FROM person_roles WHERE role = ? AND code = ?').pluck().get(role, code) !== undefined;
  }
}
