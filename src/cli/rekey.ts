import type { Config } from '../config.js';
import { systemClock } from '../domain/ports.js';
import { rekeyVault, type RekeyStep } from '../services/rekey.js';
import { DevCredentialStore, SystemdCredentialStore, type CredentialStore } from '../vault/credential-store.js';
import { dataDirFrom, parse } from './args.js';
import { usageError } from './output.js';

/** Where LoadCredentialEncrypted=db-key reads the credential (systemd/mnvault.service). */
export const DEFAULT_CREDENTIAL_OUT = '/etc/mnvault/db-key.cred';

const STEP_LABEL: Record<RekeyStep, string> = {
  pending_written: '新しい鍵を保存しました（交換待ち）',
  keyring_prepared: '鍵束を新しい鍵で包み直しました',
  database_rekeyed: 'データベースを新しい鍵で暗号化し直しました',
  keyring_promoted: '鍵束を切り替え、監査記録に残しました',
  credential_replaced: '鍵ファイルを置き換えました',
};

/**
 * `mnvault rekey --data DIR [--credential-out PATH]`: a new database key.
 * Development: DATA/credentials/db-key is replaced. Production (run with the
 * service's credential, $CREDENTIALS_DIRECTORY set): the new key is encrypted
 * with systemd-creds to PATH.new and renamed over PATH.
 */
export function rekeyCommand(argv: string[], config: Config, out: NodeJS.WritableStream): number {
  const { values } = parse(argv, { data: { type: 'string' }, 'credential-out': { type: 'string' } });
  const dataDir = dataDirFrom(values.data, config);
  let store: CredentialStore;
  if (config.credentialsDirectory) {
    store = new SystemdCredentialStore(config.credentialsDirectory, values['credential-out'] ?? DEFAULT_CREDENTIAL_OUT);
  } else {
    if (config.mode === 'production') throw usageError('本番モードでは $CREDENTIALS_DIRECTORY のある環境（scripts の mnv_with_credential など）で実行してください。');
    if (values['credential-out']) throw usageError('--credential-out は本番（systemd の資格情報で実行する場合）だけで使えます。');
    store = new DevCredentialStore(dataDir);
  }
  const result = rekeyVault({ dataDir, store, clock: systemClock, onStep: (s) => out.write(`${STEP_LABEL[s]}。\n`) });
  out.write(
    `${result.resumed ? '途中で止まっていた' : ''}データベース鍵の交換が完了しました（監査記録 seq ${result.auditSeq}）。\n` +
      (store.development
        ? `新しい鍵: ${store.target}（開発用）\n`
        : `新しい鍵: ${store.target}（systemd-creds で暗号化）。サービスを起動してください: systemctl start mnvault\n` +
          '古い鍵で作ったバックアップを復元するには古い鍵が必要です。古い鍵ファイルの扱いは運用手順に従ってください。\n'),
  );
  return 0;
}
