import type { Config } from '../config.js';
import { systemClock } from '../domain/ports.js';
import { credentialTooOpen } from '../vault/credential.js';
import { openVault, type Vault } from '../services/vault.js';

/** Opens the vault for a command, and says loudly when the key is a development key. */
export function openForCommand(dataDir: string, config: Config, stderr: NodeJS.WritableStream, opts: { acceptHead?: boolean; readonly?: boolean } = {}): Vault {
  const vault = openVault({
    ...opts,
    dataDir,
    credentialsDirectory: config.credentialsDirectory,
    production: config.mode === 'production',
    clock: systemClock,
    syslogWitness: config.syslogWitness,
  });
  if (vault.credential.development) {
    stderr.write(
      '**************************************************************\n' +
        '** 警告: 開発用のデータベース鍵（DATA/credentials/db-key）で  **\n' +
        '** 金庫を開いています。鍵がデータと同じディスクにあります。   **\n' +
        '** 本番では systemd の資格情報で鍵を渡してください。          **\n' +
        '**************************************************************\n',
    );
    if (credentialTooOpen(vault.credential.path)) {
      stderr.write(`警告: ${vault.credential.path} が所有者以外から読めます。chmod 600 にしてください。\n`);
    }
  }
  return vault;
}
