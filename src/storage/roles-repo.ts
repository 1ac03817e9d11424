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

  end(id: number, endedOn: string): void {
    this.db.prepare('UPDATE person_roles SET ended_on = ? WHERE id = ?').run(endedOn, id);
  }

  codeTaken(role: PersonKind, code: string): boolean {
    return this.db.prepare('SELECT 1 FROM person_roles WHERE role = ? AND code = ?').pluck().get(role, code) !== undefined;
  }
}
