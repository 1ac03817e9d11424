import { AppError, errorCode, exitCodeFor, publicMessage } from '../domain/errors.js';
import { debugMessages, logFailure } from '../failure-log.js';

export interface ReportOptions {
  /** MNVAULT_DEBUG=1 (development only): also print the masked message. */
  debug?: boolean | undefined;
  /** The command that failed, for the log line. */
  command?: string | undefined;
}

/** Prints an error the way every command does: Japanese, no stack, an exit code from one table. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr, opts: ReportOptions = {}): number {
  if (err instanceof AppError) {
    stderr.write(`エラー: ${err.publicMessage}\n`);
    return exitCodeFor[err.code];
  }
  // Unknown failures: the log line holds the reference id, classes, codes and frames; never the message.
  const ref = logFailure('command_failed', err, { fields: opts.command ? { command: opts.command } : {}, debug: opts.debug, out: stderr });
  const name = err instanceof Error ? err.name : typeof err;
  stderr.write(`エラー: ${publicMessage(err)}（参照ID: ${ref}、種類: ${name}）。管理者に連絡してください。\n`);
  if (opts.debug) for (const m of debugMessages(err)) stderr.write(`詳細（MNVAULT_DEBUG）: ${m}\n`);
  return exitCodeFor[errorCode(err)];
}

export function usageError(message: string): AppError {
  return new AppError('invalid', `${message}\n使い方は mnvault help で確認できます。`);
}
