import type { PersonId } from '../domain/persons.js';
import type { Db } from './database.js';

export interface IdentityCheckRow {
  id: number;
  personId: PersonId;
  method: 'in_person' | 'mail' | 'online';
  numberDocument: string;
  identityDocuments: string[];
  checkedOn: string;
  checkerId: string;
  checkerName: string | null;
  note: string | null;
  createdAt: string;
  route: 'direct' | 'employee_declaration' | 'proxy';
  /** Proxy, 代理権 document, the name of an 「その他」 document (never a number). */
  detail: Record<string, unknown> | null;
  /** Keyed index of the number this check was for. */
  numberIndex: Buffer | null;
}

/** identity_checks (本人確認の記録). */
export class IdentityChecksRepo {
  constructor(private readonly db: Db) {}

  insert(c: Omit<IdentityCheckRow, 'id' | 'checkerName' | 'route' | 'detail' | 'numberIndex'> & Partial<Pick<IdentityCheckRow, 'route' | 'detail' | 'numberIndex'>>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO identity_checks (person_id, method, number_document, identity_documents, checked_on, checker_id, note, created_at, route, detail, number_index)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.personId, c.method, c.numberDocument, JSON.stringify(c.identityDocuments), c.checkedOn, c.checkerId, c.note, c.createdAt, c.route ?? 'direct', c.detail ? JSON.stringify(c.detail) : null, c.numberIndex ?? null).lastInsertRowid,
    );
  }

  /** The persons with at least one check on record (one query, for batches). */
  checkedPersonIds(): Set<PersonId> {
    return new Set(this.db.prepare('SELECT DISTINCT person_id FROM identity_checks').pluck().all() as PersonId[]);
  }

  /** Whether a check on record for the person was for the number with this keyed index. */
  hasCheckWithIndex(personId: PersonId, index: Buffer): boolean {
    return this.db.prepare('SELECT 1 FROM identity_checks WHERE person_id = ? AND number_index = ?').pluck().get(personId, index) !== undefined;
  }

  forPerson(personId: PersonId): IdentityCheckRow[] {
    const rows = this.db
      .prepare(
        `SELECT c.*, u.display_name AS checker_name FROM identity_checks c LEFT JOIN users u ON u.id = c.checker_id
         WHERE c.person_id = ? ORDER BY c.id DESC`,
      )
      .all(personId) as Record<string, string | number | null>[];
    return rows.map((r) => ({
      id: r.id as number,
      personId: r.person_id as number,
      method: r.method as IdentityCheckRow['method'],
      numberDocument: r.number_document as string,
      identityDocuments: JSON.parse(r.identity_documents as string) as string[],
      checkedOn: r.checked_on as string,
      checkerId: r.checker_id as string,
      checkerName: (r.checker_name as string | null) ?? null,
      note: (r.note as string | null) ?? null,
      createdAt: r.created_at as string,
      route: ((r.route as string | null) ?? 'direct') as IdentityCheckRow['route'],
      detail: r.detail ? (JSON.parse(r.detail as string) as Record<string, unknown>) : null,
      numberIndex: (r.number_index as unknown as Buffer | null) ?? null,
    }));
  }
}

export interface IntakeCodeRow {
  personId: PersonId;
  issuedBy: string;
  issuedAt: string;
  expiresAt: string;
  usedAt: string | null;
  /** Purpose codes per person id that the code shows (null: a code issued before codes carried them). */
  purposes: Record<string, string[]> | null;
}

/** intake_codes: one-time self-intake codes, stored as their SHA-256 only. */
export class IntakeCodesRepo {
  constructor(private readonly db: Db) {}

  insert(codeHash: Buffer, c: Omit<IntakeCodeRow, 'usedAt'>): void {
    this.db
      .prepare('INSERT INTO intake_codes (code_hash, person_id, issued_by, issued_at, expires_at, purposes) VALUES (?, ?, ?, ?, ?, ?)')
      .run(codeHash, c.personId, c.issuedBy, c.issuedAt, c.expiresAt, c.purposes === null ? null : JSON.stringify(c.purposes));
  }

  /** A prepared insert for a batch of codes (a campaign): earlier open codes of the person stop working, then the new one. */
  batchInserter(): (codeHash: Buffer, c: Omit<IntakeCodeRow, 'usedAt'>) => void {
    const expire = this.db.prepare('UPDATE intake_codes SET expires_at = ? WHERE person_id = ? AND used_at IS NULL AND expires_at > ?');
    const insert = this.db.prepare('INSERT INTO intake_codes (code_hash, person_id, issued_by, issued_at, expires_at, purposes) VALUES (?, ?, ?, ?, ?, ?)');
    return (codeHash, c) => {
      expire.run(c.issuedAt, c.personId, c.issuedAt);
      insert.run(codeHash, c.personId, c.issuedBy, c.issuedAt, c.expiresAt, c.purposes === null ? null : JSON.stringify(c.purposes));
    };
  }

  get(codeHash: Buffer): IntakeCodeRow | undefined {
    const r = this.db.prepare('SELECT * FROM intake_codes WHERE code_hash = ?').get(codeHash) as
      | { person_id: number; issued_by: string; issued_at: string; expires_at: string; used_at: string | null; purposes: string | null }
      | undefined;
    return r && { personId: r.person_id, issuedBy: r.issued_by, issuedAt: r.issued_at, expiresAt: r.expires_at, usedAt: r.used_at, purposes: r.purposes === null ? null : (JSON.parse(r.purposes) as Record<string, string[]>) };
  }

  /** Marks the code used; returns false when it already was (single use under concurrency). */
  markUsed(codeHash: Buffer, at: string): boolean {
    return this.db.prepare('UPDATE intake_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL').run(at, codeHash).changes === 1;
  }

  /** Earlier unused codes of a person stop working when a new one is issued. */
  expireOpenFor(personId: PersonId, at: string): void {
    this.db.prepare('UPDATE intake_codes SET expires_at = ? WHERE person_id = ? AND used_at IS NULL AND expires_at > ?').run(at, personId, at);
  }
}
