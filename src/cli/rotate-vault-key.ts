import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { rotateVaultKey } from '../services/key-rotation.js';
import { claimExclusive } from '../storage/exclusive.js';
import { dataDirFrom, parse, readSecretFile } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';
import { recoveryCodeForPaper } from '../vault/recovery-code-text.js';

/**
 * `mnvault rotate-vault-key --data DIR --user LOGIN --pin-file F [--recovery-code-file F]`:
 * a new vault key pair, every number re-sealed, the slots replaced. Run it
 * again after an interruption to resume. Prints one line per committed batch.
 */
export async function rotateVaultKeyCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    user: { type: 'string' },
    'pin-file': { type: 'string' },
    'recovery-code-file': { type: 'string' },
    'batch-size': { type: 'string' },
  });
  const dataDir = dataDirFrom(values.data, config);
  if (!values.user) throw usageError('--user で実行する管理者のユーザー名を指定してください。');
  const pin = readSecretFile(values['pin-file'], '管理者PIN');
  const recoveryCode = values['recovery-code-file'] ? readSecretFile(values['recovery-code-file'], '回復コード') : undefined;
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 100_000)) throw usageError('--batch-size は1〜100000の整数で指定してください。');
  const vault = openForCommand(dataDir, config, err);
  try {
    claimExclusive(vault.db, '金庫の鍵の交換');
    const operator = vault.users.byLogin(values.user.normalize('NFKC').trim().toLowerCase());
    if (!operator) throw new AppError('not_found', `ユーザー「${values.user}」は存在しません。`);
    const result = await rotateVaultKey(vault, {
      operator,
      pin,
      recoveryCode,
      client: 'cli',
      batchSize,
      onBatch: (p) => out.write(`再封印 ${p.resealed.toLocaleString('ja-JP')} / ${p.total.toLocaleString('ja-JP')} 件を確定しました（cursor ${p.cursor}）。\n`),
    });
    out.write(
      `${result.resumed ? '途中から再開した' : ''}金庫の鍵の交換が完了しました: ${result.resealed.toLocaleString('ja-JP')} 件を新しい鍵で封をし直しました（鍵の交換 ${result.rotationId}）。\n` +
        `古い鍵の鍵スロット ${result.revokedSlots} 件とセキュリティキー ${result.revokedSecurityKeys} 本を無効にしました。\n`,
    );
    if (result.usersWithoutPin.length) {
      out.write(`次の利用者は新しいPINの設定が必要です（利用者の管理 → PINの設定）: ${result.usersWithoutPin.join('、')}\n`);
    }
    if (result.revokedSecurityKeys > 0) out.write('セキュリティキーは登録し直してください。\n');
    if (result.newRecoveryCode) {
      out.write(
        '\n新しい回復コード（今だけ表示します。印刷するか書き写して金庫に保管し、古い回復コードの用紙は破棄してください）:\n' +
          `  ${recoveryCodeForPaper(result.newRecoveryCode)}\n`,
      );
      result.newRecoveryCode.wipe();
    } else {
      out.write('回復コードは変わりません（金庫に保管中の用紙をそのまま使えます）。\n');
    }
    return 0;
  } finally {
    pin.wipe();
    recoveryCode?.wipe();
    vault.close();
  }
}
