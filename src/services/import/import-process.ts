import { fork } from 'node:child_process';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import { packagePath } from '../../paths.js';
import type { Vault } from '../vault.js';
import type { ImportOptions, ImportReport } from './import-persons.js';

const CHILD = packagePath('dist', 'src', 'cli', 'import-child.js');

/**
 * The child's node options: the server's, without its small-heap settings (the unit's
 * --max-semi-space-size=1 --optimize-for-size keep a long-running server small; an
 * import is a short process whose memory goes back when it ends, and with them its
 * young objects are collected again and again).
 */
export function importExecArgv(serverArgv: readonly string[]): string[] {
  return serverArgv.filter((a) => !/^--(max-semi-space-size|optimize-for-size)(=|$)/u.test(a));
}

type Reply = { ok: true; report: ImportReport } | { ok: false; code: ErrorCode; message: string };

/**
 * importPersons in a child process (the web upload path). The child opens the
 * vault with the service's own credential; the rows, their audit event and
 * the report are the same as in-process. The server's memory stays flat.
 */
export function importInChildProcess(vault: Pick<Vault, 'dataDir'>, bytes: Uint8Array, opts: Pick<ImportOptions, 'actor' | 'client' | 'skipInvalid' | 'purposes'>): Promise<ImportReport> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: importExecArgv(process.execArgv) });
    let reply: Reply | undefined;
    child.once('message', (m: Reply) => {
      reply = m;
    });
    child.once('error', (cause) => reject(new AppError('internal', '取り込み処理を開始できませんでした。', { cause })));
    child.once('exit', () => {
      if (!reply) return reject(new AppError('internal', '取り込み処理が途中で終了しました。何も取り込まれていません。'));
      if (reply.ok) resolve(reply.report);
      else reject(new AppError(reply.code, reply.message));
    });
    child.send({ dataDir: vault.dataDir, bytes, opts });
  });
}
