import type { Db } from './database.js';

/**
 * What a support bundle reads from the database: SQLite's own integrity
 * check and the row count of each table. Counts and SQLite's messages only
 * (they name pages, tables and indexes), never a row's value.
 */
export class SupportRepo {
  constructor(private readonly db: Db) {}

  /** PRAGMA quick_check (or integrity_check with full): ['ok'] when sound, else SQLite's findings (at most `max`). */
  integrity(full: boolean, max = 50): string[] {
    return this.db.prepare(`PRAGMA ${full ? 'integrity_check' : 'quick_check'}(${max})`).pluck().all() as string[];
  }

  tableCounts(): Record<string, number> {
    const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = this.db.prepare(`SELECT count(*) FROM "${t.replaceAll('"', '""')}"`).pluck().get() as number;
    return out;
  }

  metaKeys(): string[] {
    return this.db.prepare('SELECT key FROM vault_meta ORDER BY key').pluck().all() as string[];
  }

  sqliteVersion(): string {
    return this.db.prepare('SELECT sqlite_version()').pluck().get() as string;
  }
}
