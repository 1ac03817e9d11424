import { randomBytes } from 'node:crypto';
import { AppError, errorCode, exitCodeFor, publicMessage } from '../domain/errors.js';

/** Prints an error the way every command does: Japanese, no stack, an exit code from one table. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof AppError) {
    stderr.write(`エラー: ${err.publicMessage}\n`);
    return exitCodeFor[err.code];
  }
  // Unknown failures: a reference id and the error's class only; messages may hold values.
  const ref = randomBytes(4).toString('hex');
  const name = err instanceof Error ? err.name : typeof err;
  stderr.write(`エラー: ${publicMessage(err)}（参照ID: ${ref}、種類: ${name}）。管理者に連絡してください。\n`);
  return exitCodeFor[errorCode(err)];
}

export function usageError(message: string): AppError {
  return new AppError('invalid', `${message}\n使い方は mnvault help で確認できます。`);
}
