import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { loadMigrations, migrate } from '../../src/storage/migrate.js';
import { tempDir } from './vault.js';

const at = new Date('2026-04-01T00:00:00Z');

/**
 * A new encrypted database file in a temp folder with the migrations up to
 * `version` (inclusive) applied, as a vault of that release holds it; closed
 * when the test ends. `migrateAll()` applies the rest, as opening the vault
 * with this release does.
 */
export function databaseAtVersion(version: number): { db: Db; migrateAll: () => void } {
  const db = openDatabase(join(tempDir(), 'vault.db'), new Secret(randomBytes(32)), { create: true });
  onTestFinished(() => {
    db.close();
  });
  const all = loadMigrations();
  migrate(
    db,
    at,
    all.filter((m) => m.version <= version),
  );
  return { db, migrateAll: () => void migrate(db, at, all) };
}
