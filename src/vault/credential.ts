import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/** The credential's name, the same for systemd (LoadCredentialEncrypted=db-key:…) and development. */
export const CREDENTIAL_NAME = 'db-key';

export interface CredentialLocation {
  path: string;
  /** True for DATA/credentials/db-key written by `init --dev`: a plain file on the same disk as the vault. */
  development: boolean;
}

/** $CREDENTIALS_DIRECTORY/db-key when systemd provides it, else DATA/credentials/db-key. */
export function locateCredential(dataDir: string, credentialsDirectory: string | undefined): CredentialLocation {
  if (credentialsDirectory) return { path: join(credentialsDirectory, CREDENTIAL_NAME), development: false };
  return { path: devCredentialPath(dataDir), development: true };
}

export function devCredentialPath(dataDir: string): string {
  return join(dataDir, 'credentials', CREDENTIAL_NAME);
}

/**
 * Reads the 256-bit credential: 32 raw bytes (as `head -c32 /dev/urandom |
 * systemd-creds encrypt` leaves it) or 64 hex digits. Throws 'missing_key' or 'invalid'.
 */
export function readCredential(loc: CredentialLocation): Secret<Buffer> {
  let raw: Buffer;
  try {
    raw = readFileSync(loc.path);
  } catch (cause) {
    throw new AppError(
      'missing_key',
      loc.development
        ? `データベース鍵（${CREDENTIAL_NAME}）が見つかりません。開発用なら mnvault init --dev で作成したデータフォルダを指定してください。本番では systemd の LoadCredentialEncrypted=${CREDENTIAL_NAME} で渡してください。`
        : `データベース鍵（$CREDENTIALS_DIRECTORY/${CREDENTIAL_NAME}）が読めません。サービスの LoadCredentialEncrypted=${CREDENTIAL_NAME} の設定と資格情報ファイルを確認してください。`,
      { cause },
    );
  }
  try {
    if (raw.length === 32) return new Secret(Buffer.from(raw));
    const text = raw.toString('latin1').trim();
    if (/^[0-9a-fA-F]{64}$/u.test(text)) return new Secret(Buffer.from(text, 'hex'));
    throw new AppError(
      'invalid',
      `データベース鍵（${CREDENTIAL_NAME}）の形式が正しくありません。32バイトの乱数（または16進64桁）である必要があります。`,
    );
  } finally {
    raw.fill(0);
  }
}

/** Writes a new development credential (0600 in a 0700 folder); refuses to replace one. */
export function writeDevCredential(dataDir: string): Secret<Buffer> {
  const dir = join(dataDir, 'credentials');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, CREDENTIAL_NAME);
  if (existsSync(path)) {
    throw new AppError('conflict', `開発用のデータベース鍵が既にあります（${path}）。既存の金庫を上書きしないため中止しました。`);
  }
  const key = randomBytes(32);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return new Secret(key);
}

/** True when the credential file can be read by anyone but its owner. */
export function credentialTooOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** Keys derived from the credential, each for one use (HKDF-SHA-256, distinct labels). */
export function deriveFromCredential(credential: Secret<Buffer>, label: 'sqlite' | 'keyring'): Secret<Buffer> {
  return new Secret(Buffer.from(hkdfSync('sha256', credential.expose(), 'mnvault', `mnvault/v1/${label}`, 32)));
}

/**
 * Writes `credential` as the development credential of `dataDir` (DATA/credentials/db-key, 0600 in a
 * 0700 folder), as `init --dev` lays a vault out; refuses to replace a file there (O_EXCL).
 */
export function writeCredentialCopy(dataDir: string, credential: Secret<Buffer>): CredentialLocation {
  const dir = join(dataDir, 'credentials');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, CREDENTIAL_NAME);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, credential.expose());
  } finally {
    closeSync(fd);
  }
  return { path, development: true };
}
