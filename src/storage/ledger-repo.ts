import type { Db } from './database.js';

/** A file that carries numbers kept outside the appliance, as an admin entered it in the ledger. */
export interface LedgerFile {
  id: number;
  name: string;
  content: string;
  location: string;
  manager: string | null;
  note: string | null;
  createdAt: string;
}

/** ledger_files (migration 020): manual rows of the 管理台帳. Removed rows stay, marked. */
export class LedgerRepo {
  constructor(private readonly db: Db) {}

  /** Rows not removed, oldest first. */
  active(): LedgerFile[] {
    return this.db
      .prepare('SELECT id, name, content, location, manager, note, created_at AS createdAt FROM ledger_files WHERE removed_at IS NULL ORDER BY id')
      .all() as LedgerFile[];
  }

  byId(id: number): LedgerFile | undefined {
    return this.db
      .prepare('SELECT id, name, content, location, manager, note, created_at AS createdAt FROM ledger_files WHERE id = ? AND removed_at IS NULL')
      .get(id) as LedgerFile | undefined;
  }

  insert(f: Omit<LedgerFile, 'id' | 'createdAt'>, by: string, at: string): number {
    return Number(
      this.db
        .prepare('INSERT INTO ledger_files (name, content, location, manager, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(f.name, f.content, f.location, f.manager, f.note, by, at).lastInsertRowid,
    );
  }

  remove(id: number, by: string, at: string): boolean {
    return this.db.prepare('UPDATE ledger_files SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL').run(by, at, id).changes === 1;
  }
}
