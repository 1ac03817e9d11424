/**
 * Closed error codes. Every failure the user can act on is an AppError whose
 * publicMessage is Japanese, says what was wrong and what to do, and never
 * holds a My Number. One table maps codes to CLI exit codes and HTTP statuses.
 */
export type ErrorCode =
  | 'invalid' // bad input: fix it and retry
  | 'unauthorized' // wrong PIN, password or recovery code
  | 'forbidden'
  | 'not_found'
  | 'conflict' // would overwrite or duplicate something
  | 'wrong_key' // the database credential does not open the vault
  | 'missing_key' // no credential where one is required
  | 'no_vault' // the data folder holds no vault
  | 'locked'
  | 'audit_unavailable' // the audit event could not be written: nothing happened
  | 'tampered' // the audit chain or a sealed record failed its integrity check
  | 'device_unavailable'
  | 'overloaded' // too much work queued (a sign-in burst): shed, try again shortly
  | 'storage_busy' // the database stayed locked by other work: try again shortly
  | 'storage_full' // the disk is full (SQLITE_FULL, ENOSPC)
  | 'storage_readonly' // the data folder or file cannot be written
  | 'storage_damaged' // the database file is damaged (SQLITE_CORRUPT, NOTADB)
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${publicMessage}`, options);
    this.name = 'AppError';
  }
}

/** Throws an AppError; usable in expression position: `x ?? raise('not_found', '…')`. */
export function raise(code: ErrorCode, publicMessage: string, options?: { cause?: unknown }): never {
  throw new AppError(code, publicMessage, options);
}

export const errorCode = (err: unknown): ErrorCode => (err instanceof AppError ? err.code : 'internal');

export const publicMessage = (err: unknown): string =>
  err instanceof AppError ? err.publicMessage : '内部エラーが発生しました。';

/** CLI exit codes: 1 is reserved for "the checked property failed". */
export const exitCodeFor: Record<ErrorCode, number> = {
  invalid: 2,
  unauthorized: 2,
  forbidden: 2,
  not_found: 2,
  conflict: 2,
  wrong_key: 2,
  missing_key: 2,
  no_vault: 2,
  locked: 2,
  audit_unavailable: 3,
  tampered: 1,
  device_unavailable: 3,
  overloaded: 3,
  storage_busy: 3,
  storage_full: 3,
  storage_readonly: 3,
  storage_damaged: 3,
  internal: 3,
};

export const httpStatusFor: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  wrong_key: 503,
  missing_key: 503,
  no_vault: 503,
  locked: 423,
  audit_unavailable: 503,
  tampered: 500,
  device_unavailable: 503,
  overloaded: 429,
  storage_busy: 503,
  storage_full: 507,
  storage_readonly: 503,
  storage_damaged: 503,
  internal: 500,
};
