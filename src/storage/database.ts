import Database from 'better-sqlite3-multiple-ciphers';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { storageFault } from '../domain/storage-faults.js';
import { applyKeyPragma } from '../vault/database-key.js';
import { faultOf } from './storage-errors.js';
import { cacheStatements } from './statement-cache.js';
import { takeTurn } from './write-turns.js';

export type Db = Database.Database;

/**
 * AEGIS-256 (authenticated, AES-NI): the cheapest authenticated cipher of
 * SQLite3 Multiple Ciphers in our measurement (docs/cipher-choice.md).
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
  if (!options.create) checkReadable(path);
  // Before SQLite touches it: an empty file would otherwise become a new empty database.
  if (!options.create && statSync(path).size === 0) {
    throw storageFault('damaged', { detail: `${path} が空（0バイト）です。何も書き込まずに中止しました` });
  }
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: !options.create, readonly: options.readonly ?? false });
  } catch (cause) {
    throw firstReadFault(cause, path);
  }
  try {
    db.pragma(`cipher='${DB_CIPHER}'`);
    applyKeyPragma('key', key, (pragma) => db.pragma(pragma));
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (cause) {
      throw firstReadFault(cause, path);
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
    cacheStatements(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Refuses, naming it, a vault.db that is not a file (a folder put in its
 * place) or that this process may not read (owner, mode): SQLite would say
 * "cannot open" or, through a copy, fail without a name.
 */
export function checkReadable(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (cause) {
    throw new AppError('storage_readonly', `金庫のファイル（${path}）の状態を読めません。データフォルダの所有者・権限（サービスの利用者 mnvault が読み書きできること）を確認してください。`, { cause });
  }
  if (!isFile) {
    throw new AppError('storage_readonly', `金庫のファイル（${path}）が通常のファイルではありません（フォルダなど）。データフォルダの中身を確認し、vault.db をバックアップから戻してください。`);
  }
  try {
    accessSync(path, constants.R_OK);
  } catch (cause) {
    throw new AppError(
      'storage_readonly',
      `金庫のファイル（${path}）を読めません（所有者・権限）。ファイルの所有者と権限を確認してください（サービスの利用者 mnvault が読み書きできること。例: chown mnvault: と chmod 600）。`,
      { cause },
    );
  }
}

const commitHooks = new WeakMap<Db, Set<() => void>>();
const writeGuards = new WeakMap<Db, Set<() => void>>();

/**
 * Runs `guard` before each outermost writeTransaction of `db`; a guard that
 * throws refuses the write before anything is begun (the data folder is gone).
 */
export function beforeWrite(db: Db, guard: () => void): () => void {
  let set = writeGuards.get(db);
  if (!set) writeGuards.set(db, (set = new Set()));
  set.add(guard);
  return () => void set.delete(guard);
}

/**
 * Runs `hook` after each outermost writeTransaction of `db` commits (not after
 * a rollback, not inside a nested one). A hook must not throw; it runs with
 * the data already durable. Returns the unsubscribe.
 */
export function afterCommit(db: Db, hook: () => void): () => void {
  let set = commitHooks.get(db);
  if (!set) commitHooks.set(db, (set = new Set()));
  set.add(hook);
  return () => void set.delete(hook);
}

/** Encrypted pages are this size; a file that is not a whole number of them was cut short. */
const PAGE_SIZE = 4096;

/**
 * Names the failure of the first read: a file that cannot be opened (the
 * folder or mount is read-only, the permissions are wrong), a file cut short
 * or damaged, or a key that does not open it. With an authenticated cipher a
 * wrong key and a damaged first page look the same, so that message says both.
 */
function firstReadFault(cause: unknown, path: string): AppError {
  const code = (cause as { code?: unknown })?.code;
  let size = -1;
  try {
    size = statSync(path).size;
  } catch {
    size = -1;
  }
  if (code === 'SQLITE_NOTADB' && size >= 0 && size % PAGE_SIZE === 0) {
    return new AppError(
      'wrong_key',
      'データベース鍵が一致しません。または、ファイルの先頭（1ページ目）が壊れています（暗号化されたファイルでは区別できません）。この金庫を作成したときの鍵（db-key）を指定してください。鍵が正しいなら、ファイルが壊れているのでバックアップから復元してください。新しい空の金庫は作成しません。',
      { cause },
    );
  }
  if (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) {
    const cut = size >= 0 && size % PAGE_SIZE !== 0;
    return storageFault('damaged', { cause, detail: cut ? `${path} が途中で切れています（${size} バイト）` : path });
  }
  const fault = faultOf(cause);
  if (fault === 'readonly' || code === 'SQLITE_IOERR' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
    return new AppError(
      'storage_readonly',
      `データベースのファイルを開けません（${path}）。読み取り専用のディスク・マウントになっていないか、ファイルとデータフォルダの所有者・権限（サービスの利用者 mnvault が読み書きできること）を確認してください。`,
      { cause },
    );
  }
  if (fault) return storageFault(fault, { cause, detail: path });
  return new AppError('wrong_key', 'データベース鍵が一致しません。この金庫を作成したときの鍵（db-key）を指定してください。新しい空の金庫は作成しません。', { cause });
}

/** BEGIN IMMEDIATE: writers take the lock up front, so the audit head they read stays theirs. */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return db.transaction(fn).immediate();
  for (const guard of writeGuards.get(db) ?? []) guard();
  // Marked waiting while a long import of another process holds its turns (write-turns.ts).
  const result = takeTurn(db, () => db.transaction(fn).immediate());
  if (!db.inTransaction) for (const hook of commitHooks.get(db) ?? []) hook();
  return result;
}

/**
 * Runs a small write that may be skipped, without waiting for the lock: when
 * another process holds it (a long import), returns false at once instead of
 * blocking the event loop for the busy timeout.
 */
export function tryWriteNow(db: Db, fn: () => void): boolean {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    fn();
    return true;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return false;
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/** Takes SQLite's write lock and gives it back, writing nothing: throws SQLITE_READONLY when the database takes no write. */
export function probeWriteLock(db: Db): void {
  db.prepare('BEGIN IMMEDIATE').run();
  db.prepare('ROLLBACK').run();
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

/** One TRUNCATE checkpoint with SQLite's figures, as the graceful stop logs them: `busy` 0 when every frame moved. */
export function checkpointOnce(db: Db): { busy: number; log: number; checkpointed: number } | undefined {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return result;
}

/** How hard a commit waits for the disk: NORMAL for steps a crash may lose whole, FULL (the default) otherwise. */
export function setSynchronous(db: Db, mode: 'NORMAL' | 'FULL'): void {
  db.pragma(`synchronous = ${mode}`);
}

/** SQLite's default: a commit that leaves more WAL pages than this checkpoints them into the file. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * How many WAL pages (4 KB each, encrypted like the file) a commit may leave
 * before it checkpoints them into the database. A bulk import that commits in
 * chunks rewrites the same index pages chunk after chunk: a larger WAL copies
 * each into the file once per checkpoint instead of once per chunk. Per
 * connection; set it back to DEFAULT_AUTOCHECKPOINT_PAGES afterwards.
 */
export function setAutoCheckpoint(db: Db, pages: number): void {
  db.pragma(`wal_autocheckpoint = ${pages}`);
}
