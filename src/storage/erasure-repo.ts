import type { PersonId } from '../domain/persons.js';
import { ERASED_NAME } from '../domain/erasure.js';
import type { Db } from './database.js';

export interface ErasureRow {
  id: number;
  personId: PersonId;
  state: 'proposed' | 'executed' | 'cancelled';
  proposedBy: string;
  proposedByName: string;
  proposedAt: string;
  approvedBy: string | null;
  approvedByName: string | null;
  executedAt: string | null;
  samePerson: boolean;
  cancelledAt: string | null;
}

const COLUMNS = `id, person_id AS personId, state, proposed_by AS proposedBy, proposed_by_name AS proposedByName, proposed_at AS proposedAt,
  approved_by AS approvedBy, approved_by_name AS approvedByName, executed_at AS executedAt, same_person AS samePerson, cancelled_at AS cancelledAt`;

/** Erasure requests (person_erasures) and the scrubbing of a person's identifying data. */
export class ErasureRepo {
  constructor(private readonly db: Db) {}

  insert(personId: PersonId, by: string, byName: string, at: string): number {
    return Number(
      this.db.prepare(`INSERT INTO person_erasures (person_id, state, proposed_by, proposed_by_name, proposed_at) VALUES (?, 'proposed', ?, ?, ?)`).run(personId, by, byName, at).lastInsertRowid,
    );
  }

  byId(id: number): ErasureRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM person_erasures WHERE id = ?`).get(id) as (Omit<ErasureRow, 'samePerson'> & { samePerson: number }) | undefined;
    return r && { ...r, samePerson: r.samePerson === 1 };
  }

  /** The open or executed erasure of a person (at most one). */
  ofPerson(personId: PersonId): ErasureRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM person_erasures WHERE person_id = ? AND state IN ('proposed', 'executed')`).get(personId) as
      | (Omit<ErasureRow, 'samePerson'> & { samePerson: number })
      | undefined;
    return r && { ...r, samePerson: r.samePerson === 1 };
  }

  isErased(personId: PersonId): boolean {
    return (
      this.db.prepare(`SELECT 1 FROM person_erasures WHERE person_id = ? AND state = 'executed' UNION ALL SELECT 1 FROM reapplied_erasures WHERE person_id = ?`).pluck().get(personId, personId) !==
      undefined
    );
  }

  markExecuted(id: number, by: string, byName: string, at: string, samePerson: boolean): void {
    this.db
      .prepare(`UPDATE person_erasures SET state = 'executed', approved_by = ?, approved_by_name = ?, executed_at = ?, same_person = ? WHERE id = ? AND state = 'proposed'`)
      .run(by, byName, at, samePerson ? 1 : 0, id);
  }

  cancel(id: number, by: string, at: string): void {
    this.db.prepare(`UPDATE person_erasures SET state = 'cancelled', cancelled_by = ?, cancelled_at = ? WHERE id = ? AND state = 'proposed'`).run(by, at, id);
  }

  /** Executed erasures, for the ledger kept outside the vault. */
  executed(): { id: number; personId: number; executedAt: string }[] {
    return this.db.prepare(`SELECT id, person_id AS personId, executed_at AS executedAt FROM person_erasures WHERE state = 'executed' ORDER BY id`).all() as {
      id: number;
      personId: number;
      executedAt: string;
    }[];
  }

  reapplied(): { id: number; personId: number; executedAt: string }[] {
    return this.db.prepare('SELECT erasure_id AS id, person_id AS personId, executed_at AS executedAt FROM reapplied_erasures ORDER BY erasure_id').all() as {
      id: number;
      personId: number;
      executedAt: string;
    }[];
  }

  recordReapplied(id: number, personId: number, executedAt: string, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO reapplied_erasures (erasure_id, person_id, executed_at, reapplied_at) VALUES (?, ?, ?, ?)').run(id, personId, executedAt, at);
  }

  /**
   * Scrubs the person's identifying data outside persons (whose row the
   * caller rewrites through PersonsRepo.updatePerson, grams included): the
   * identity-check records (documents, notes, 代理人), unused intake codes,
   * the code and 続柄 of further roles, the free texts of holds and
   * co-approvals, and the name copied into disposal records.
   */
  scrubRecords(personId: PersonId): void {
    const run = (sql: string) => this.db.prepare(sql).run(personId);
    run('DELETE FROM identity_checks WHERE person_id = ?');
    run('DELETE FROM intake_codes WHERE person_id = ?');
    run('UPDATE person_roles SET code = NULL, relationship = NULL WHERE person_id = ?');
    run(`UPDATE legal_holds SET reason = '${ERASED_NAME}' WHERE person_id = ?`);
    run(`UPDATE purpose_co_approvals SET note = '${ERASED_NAME}' WHERE person_id = ?`);
    run(`UPDATE disposal_persons SET person_name = '${ERASED_NAME} #' || person_id WHERE person_id = ?`);
  }
}
