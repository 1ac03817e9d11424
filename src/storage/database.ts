import Database from 'better-sqlite3-multiple-ciphers';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';

export type Db = Database.Database;

/**
 * AEGIS-256 (authenticated, AES-NI): the cheapest authenticated cipher of
 * SQLite3 Multiple Ciphers in our measurement (README, "Cipher choice").
 * Changing it needs a rekey of every vault, so it is a constant, not a setting.
 */
export const DB_CIPHER = 'aegis';
export const DB_FILE = 'vault.db';

export interface OpenOptions {
  /** Create the file; refuses when it exists. Otherwise the file must exist. */
  create?: boolean;
  readonly?: boolean;
}

/**
 * Opens the encrypted database with a raw 256-bit key (no passphrase KDF) and
 * sets the pragmas the vault relies on. A wrong key throws 'wrong_key', a
 * missing file 'no_vault'; an existing file is never replaced by a new one.
 */
export function openDatabase(path: string, key: Secret<Buffer>, options: OpenOptions = {}): Db {
  const exists = existsSync(path);
  if (options.create && exists) {
    throw new AppError('conflict', `金庫のデータベースが既にあります（${path}）。上書きしないため中止しました。`);
  }
  if (!options.create && !exists) {
    throw new AppError('no_vault', `データフォルダに金庫がありません（${path}）。--data の指定を確認するか、mnvault init で作成してください。`);
  }
  if (options.create) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { fileMustExist: !options.create, readonly: options.readonly ?? false });
  try {
    db.pragma(`cipher='${DB_CIPHER}'`);
    const hex = key.expose().toString('hex');
    db.pragma(`key="raw:${hex}"`);
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (cause) {
      throw new AppError(
        'wrong_key',
        'データベース鍵が一致しません。この金庫を作成したときの鍵（db-key）を指定してください。新しい空の金庫は作成しません。',
        { cause },
      );
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    // Sorts and temporary tables (an index built over names, a large ORDER BY)
    // stay in memory: SQLite's temporary files are not encrypted.
    db.pragma('temp_store = MEMORY');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** BEGIN IMMEDIATE: writers take the lock up front, so the audit head they read stays theirs. */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/**
 * Runs fn with a page cache of up to `mb` megabytes (a bulk write into large
 * indexes otherwise reads and decrypts the same pages again and again), then
 * restores the cache size and hands the memory back.
 */
export function withPageCache<T>(db: Db, mb: number, fn: () => T): T {
  const before = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = ${-Math.round(mb * 1024)}`);
  try {
    return fn();
  } finally {
    db.pragma(`cache_size = ${before}`);
    db.pragma('shrink_memory');
  }
}

/** Hands SQLite's spare page cache back to the allocator after a large transaction. */
export function releaseMemory(db: Db): void {
  db.pragma('shrink_memory');
}

/**
 * Moves every WAL page into the database and truncates the WAL to zero bytes,
 * so an erased page (a disposed number, a revoked slot) leaves no copy there;
 * retried briefly if a reader holds it. False when a reader kept it busy.
 */
export function checkpointTruncate(db: Db, tries = 5): boolean {
  for (let i = 0; i < tries; i++) {
    const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (row[0]?.busy === 0) return true;
  }
  return false;
}
