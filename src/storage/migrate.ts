import { readdirSync, readFileSync } from 'node:fs';
import { packagePath } from '../paths.js';
import type { Db } from './database.js';

const MIGRATIONS_DIR = packagePath('src', 'storage', 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered SQL files beside this module: 001_initial.sql, 002_….sql, in order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/u.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/**
 * Applies, forward only, each migration not yet recorded in schema_migrations,
 * each inside its own transaction. Returns the versions applied.
 */
export function migrate(db: Db, at: Date, migrations: Migration[] = loadMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, at.toISOString());
    }).immediate();
    done.push(m.version);
  }
  return done;
}

export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() as number) ?? 0;
}
