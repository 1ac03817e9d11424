import type { Config } from '../config.js';
import { restoreBackup, parseOperatorPath } from '../services/restore.js';
import { systemClock } from '../domain/ports.js';
import { locateCredential, type CredentialLocation } from '../vault/credential.js';
import { parse, readSecretFile } from './args.js';
import { usageError } from './output.js';

/**
 * `mnvault restore --from FILE --data NEWDIR (--pin-file F | --recovery-code-file F) [--credential FILE]
 *   [--disposal-ledger FILE | --without-disposal-ledger]`. Disposals made after the backup are re-applied
 * from the disposal ledger (by default the one beside the backup file); without one the restore is refused.
 * The credential is the vault's own: --credential names a key file (a development
 * key, or one decrypted with systemd-creds), else $CREDENTIALS_DIRECTORY/db-key.
 * Exit 0 restored and drilled, 1 the checksum or the chain failed, 2 bad usage,
 * wrong credential or wrong PIN (NEWDIR left as it was).
 */
export async function restoreCommand(argv: string[], config: Config, out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      from: { type: 'string' },
      data: { type: 'string' },
      'pin-file': { type: 'string' },
      'recovery-code-file': { type: 'string' },
      credential: { type: 'string' },
      'disposal-ledger': { type: 'string' },
      'without-disposal-ledger': { type: 'boolean' },
    },
    true,
  );
  if (positionals.length > 0) throw usageError(`不明な指定「${positionals[0]}」があります。`);
  const from = parseOperatorPath(values.from, '--from（復元するバックアップのファイル）');
  const dataDir = parseOperatorPath(values.data, '--data（復元先の新しいフォルダー）');
  if ((values['pin-file'] === undefined) === (values['recovery-code-file'] === undefined)) {
    throw usageError('鍵スロットを開くために --pin-file（PINを設定した利用者のPIN）か --recovery-code-file（回復コード）のどちらか一方を指定してください。');
  }
  let credential: CredentialLocation;
  let copyCredential = false;
  if (values.credential !== undefined) {
    credential = { path: parseOperatorPath(values.credential, '--credential（データベース鍵のファイル）'), development: config.mode !== 'production' };
    copyCredential = config.mode !== 'production';
  } else if (config.credentialsDirectory) {
    credential = locateCredential(dataDir, config.credentialsDirectory);
  } else {
    throw usageError(
      'データベース鍵が必要です。バックアップを作った金庫の鍵を --credential FILE で指定するか（開発用の DATA/credentials/db-key など）、$CREDENTIALS_DIRECTORY に db-key がある状態で実行してください（例: systemd-run --pipe -p LoadCredentialEncrypted=db-key:/etc/mnvault/db-key.cred …）。',
    );
  }
  const unlock =
    values['pin-file'] !== undefined
      ? { kind: 'pin' as const, pin: readSecretFile(values['pin-file'], 'PIN') }
      : { kind: 'recovery' as const, code: readSecretFile(values['recovery-code-file'], '回復コード') };
  try {
    const disposalLedger = values['disposal-ledger'] === undefined ? undefined : parseOperatorPath(values['disposal-ledger'], '--disposal-ledger（廃棄台帳のファイル）');
    const r = await restoreBackup({
      from, dataDir, credential, copyCredential, unlock, actor: { id: 'cli', name: 'mnvault restore' }, clock: systemClock, disposalLedger, withoutLedger: values['without-disposal-ledger'] ?? false,
    });
    out.write(
      `バックアップのチェックサム（SHA-256）はマニフェストと一致しました: ${r.manifest.file}\n` +
        `監査記録は正常です: ${r.verifiedCount} 件、先頭 seq ${r.manifest.auditSeq}（バックアップ作成時の先頭と一致）\n` +
        `${r.slotKind === 'pin' ? 'PIN' : '回復コード'}で金庫の鍵を開けました。\n` +
        (r.reapplied.length > 0 ? `バックアップの後に行った削除・廃棄を廃棄台帳から適用し直しました: 廃棄 #${r.reapplied.join(', #')}\n` : '') +
        (r.drillPersonId !== null ? `1件の番号を開けました（人物ID ${r.drillPersonId}）\n` : '保管中の番号がないため、番号を開く確認は省略しました。\n') +
        `復元しました: ${dataDir}（監査記録に backup.restored と restore.drill を追記しました）\n` +
        (copyCredential ? `開発用のデータベース鍵を ${dataDir}/credentials/db-key に置きました。\n` : ''),
    );
    return 0;
  } finally {
    (unlock.kind === 'pin' ? unlock.pin : unlock.code).wipe();
  }
}
