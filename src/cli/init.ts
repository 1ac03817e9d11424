import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { systemClock } from '../domain/ports.js';
import { locateCredential, readCredential } from '../vault/credential.js';
import { recoveryCodeForPaper } from '../vault/recovery-code-text.js';
import { initDevVault, initVault } from '../services/init-vault.js';
import { dataDirFrom, parse, readSecretFile } from './args.js';
import { defaultHostnames, ensureTls } from '../web/tls.js';
import { vaultCaKeyStore } from '../services/tls-ca-key.js';
import { existsSync } from 'node:fs';
import { databasePath } from '../services/vault.js';

export async function initCommand(argv: string[], config: Config, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    dev: { type: 'boolean' },
    'admin-user': { type: 'string' },
    'admin-name': { type: 'string' },
    'admin-password-file': { type: 'string' },
    'admin-pin-file': { type: 'string' },
  });
  const dataDir = dataDirFrom(values.data, config);
  if (!values['admin-user']) throw new AppError('invalid', '--admin-user で最初の管理者のユーザー名を指定してください。');
  const password = readSecretFile(values['admin-password-file'], '管理者パスワード（--admin-password-file）');
  const pin = readSecretFile(values['admin-pin-file'], '管理者PIN（--admin-pin-file）');
  if (existsSync(databasePath(dataDir))) {
    throw new AppError('conflict', `データフォルダには既に金庫があります（${databasePath(dataDir)}）。上書きはしません。別のフォルダを指定してください。`);
  }

  const admin = { login: values['admin-user'], displayName: values['admin-name'], password, pin };
  let result;
  try {
    if (values.dev) {
      if (config.mode === 'production') throw new AppError('invalid', '本番モードでは --dev を使えません。');
      result = await initDevVault({ dataDir, admin, clock: systemClock });
    } else {
      if (!config.credentialsDirectory) {
        throw new AppError(
          'missing_key',
          'データベース鍵がありません。本番では systemd の LoadCredentialEncrypted=db-key で $CREDENTIALS_DIRECTORY を用意して実行してください。試用なら --dev を付けてください。',
        );
      }
      const location = locateCredential(dataDir, config.credentialsDirectory);
      const credential = readCredential(location);
      try {
        result = await initVault({ dataDir, credential, credentialLocation: location, admin, clock: systemClock });
      } finally {
        credential.wipe();
      }
    }
  } finally {
    password.wipe();
    pin.wipe();
  }
  const { vault, recoveryCode } = result;
  const location = vault.credential;
  try {
    let tls: Awaited<ReturnType<typeof ensureTls>>;
    try {
      tls = await ensureTls(dataDir, { ...defaultHostnames(), now: systemClock.now(), caKey: vaultCaKeyStore(vault) });
    } finally {
      vault.close();
    }
    out.write(
      [
        `金庫を作成しました: ${dataDir}`,
        location.development ? `注意: 開発用のデータベース鍵を ${location.path} に保存しました。本番では使わないでください。` : '',
        '',
        '回復コード（この画面でしか表示しません。印刷するか書き写して金庫に保管してください）:',
        '',
        `    ${recoveryCodeForPaper(recoveryCode)}`,
        '',
        'PINとセキュリティキーをすべて失ったときに、この回復コードで金庫を開けます。',
        '',
        `HTTPS用のローカルCAとサーバー証明書を作成しました: ${dataDir}/tls/`,
        `サーバー証明書の指紋 (SHA-256): ${tls.fingerprint}`,
        `各PCには ${dataDir}/tls/ca.pem を「信頼されたルート証明機関」として登録してください。`,
        '',
      ]
        .filter((l, i, a) => l !== '' || a[i - 1] !== '')
        .join('\n'),
    );
    return 0;
  } finally {
    recoveryCode.wipe();
  }
}
