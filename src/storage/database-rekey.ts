import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { applyKeyPragma } from '../vault/database-key.js';
import type { Db } from './database.js';

/**
 * Re-keys an open database under `newKey` (PRAGMA rekey). The WAL is folded in
 * and the journal switched to rollback first, so a rekey interrupted by a crash
 * rolls back under the old key. The caller switches back with resumeWal.
 */
export function rekeyDatabase(db: Db, newKey: Secret<Buffer>): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  if (db.pragma('journal_mode = DELETE', { simple: true }) !== 'delete') {
    throw new AppError('conflict', 'データベースの書き込み方式を切り替えられませんでした。ほかの mnvault が動いていないか確認してください。');
  }
  applyKeyPragma('rekey', newKey, (pragma) => db.pragma(pragma));
}

/** Back to the write-ahead log after a rekey. */
export function resumeWal(db: Db): void {
  db.pragma('journal_mode = WAL');
}
