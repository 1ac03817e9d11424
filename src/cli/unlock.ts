import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { unlockUser } from '../services/accounts.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

/**
 * `mnvault unlock USER --data DIR`: the console's way back in when every
 * admin's sign-in is locked (the web unlock needs a signed-in admin). Lifts
 * the sign-in lock and its back-off; audited as 'user.unlocked' by the CLI.
 */
export function unlockCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const { values, positionals } = parse(argv, { data: { type: 'string' } }, true);
  if (positionals.length !== 1) throw usageError('ロックを解除するユーザー名を1つ指定してください（mnvault unlock USER --data DIR）。');
  const login = positionals[0]!.normalize('NFKC').trim().toLowerCase();
  const dataDir = dataDirFrom(values.data, config);
  const vault = openForCommand(dataDir, config, err);
  try {
    const user = vault.users.byLogin(login);
    if (!user) throw new AppError('not_found', `ユーザー「${login}」はいません。ユーザー名を確認してください。`);
    const wasLocked = user.lockedAt !== null || user.failedLogins > 0;
    unlockUser(vault, { id: 'cli', name: 'mnvault unlock' }, user.id, null);
    out.write(wasLocked ? `ユーザー「${login}」のサインインのロックを解除しました（監査記録に残しました）。\n` : `ユーザー「${login}」はロックされていませんでした（解除の操作は監査記録に残しました）。\n`);
    return 0;
  } finally {
    vault.close();
  }
}
