import { AppError } from '../domain/errors.js';
import { storageFault, type StorageFault } from '../domain/storage-faults.js';

/**
 * Names the storage fault behind an error (SQLite's result code or the
 * system's errno), looking through causes: an 'audit_unavailable' whose cause
 * was SQLITE_FULL is a full disk. Undefined when it is not a storage fault.
 */
export function faultOf(err: unknown): StorageFault | undefined {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError) {
      if (e.code === 'storage_full') return 'full';
      if (e.code === 'storage_damaged') return 'damaged';
      if (e.code === 'storage_readonly') return 'readonly';
      if (e.code === 'storage_busy') return 'busy';
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'damaged';
    // Only a read-only file system among the system codes: EACCES from elsewhere (a TLS file, a backup folder) is not the data folder's state.
    if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'EROFS') return 'readonly';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
    if (code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC') return 'readonly';
  }
  return undefined;
}

/** The named AppError for a storage fault, or undefined when `err` is something else. */
export function asStorageError(err: unknown): AppError | undefined {
  const kind = faultOf(err);
  if (!kind) return undefined;
  if (err instanceof AppError && err.code.startsWith('storage_')) return err;
  return storageFault(kind, { cause: err });
}
