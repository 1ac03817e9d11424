import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';
import { CREDENTIAL_NAME, devCredentialPath, readCredential } from './credential.js';

/**
 * Where `mnvault rekey` reads the credential in force and keeps the next one
 * until the database has been re-keyed under it. The pending credential is
 * always durable (written to a temporary file, fsynced, renamed) before the
 * database changes, and becomes the credential in force by one rename, so a
 * crash leaves a vault that opens under either the current or the pending one.
 */
export interface CredentialStore {
  readonly development: boolean;
  /** Where the credential in force lives (or is replaced), for messages. */
  readonly target: string;
  readCurrent(): Secret<Buffer>;
  readPending(): Secret<Buffer> | undefined;
  writePending(key: Secret<Buffer>): void;
  /** Makes the pending credential the one in force (atomic rename). */
  commit(): void;
  /** Removes temporary files a crash may have left (never the pending credential). */
  cleanup(): void;
}

export function newCredential(): Secret<Buffer> {
  return new Secret(randomBytes(32));
}

/** fsync of the folder, so a rename inside it survives a power cut. */
function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes bytes to path by temp file + fsync + rename (0600). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Development: DATA/credentials/db-key, the next one beside it as db-key.pending (0600). */
export class DevCredentialStore implements CredentialStore {
  readonly development = true;
  readonly target: string;
  readonly #pending: string;

  constructor(dataDir: string) {
    this.target = devCredentialPath(dataDir);
    this.#pending = pendingDevCredentialPath(dataDir);
  }

  readCurrent(): Secret<Buffer> {
    return readCredential({ path: this.target, development: true });
  }

  readPending(): Secret<Buffer> | undefined {
    if (!existsSync(this.#pending)) return undefined;
    return readCredential({ path: this.#pending, development: true });
  }

  writePending(key: Secret<Buffer>): void {
    mkdirSync(dirname(this.#pending), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.#pending, key.expose());
  }

  commit(): void {
    renameSync(this.#pending, this.target);
    syncDir(dirname(this.target));
  }

  cleanup(): void {
    rmSync(`${this.#pending}.tmp`, { force: true });
  }
}

export function pendingDevCredentialPath(dataDir: string): string {
  return `${devCredentialPath(dataDir)}.pending`;
}

/**
 * Production: the credential in force comes from $CREDENTIALS_DIRECTORY (read
 * only, as systemd hands it over); the next one is encrypted with
 * `systemd-creds encrypt --name=db-key --with-key=auto` to OUT.new and renamed
 * over OUT (the file named by LoadCredentialEncrypted=db-key:OUT). Reading the
 * pending one back uses `systemd-creds decrypt`. The key passes through pipes only.
 */
export class SystemdCredentialStore implements CredentialStore {
  readonly development = false;
  readonly #pending: string;

  constructor(
    private readonly credentialsDirectory: string,
    readonly target: string,
    private readonly systemdCreds = 'systemd-creds',
  ) {
    this.#pending = `${target}.new`;
  }

  readCurrent(): Secret<Buffer> {
    return readCredential({ path: join(this.credentialsDirectory, CREDENTIAL_NAME), development: false });
  }

  readPending(): Secret<Buffer> | undefined {
    if (!existsSync(this.#pending)) return undefined;
    const r = this.#run(['decrypt', `--name=${CREDENTIAL_NAME}`, this.#pending, '-']);
    try {
      if (r.length !== 32) throw new AppError('invalid', `交換中のデータベース鍵（${this.#pending}）の形式が正しくありません。`);
      return new Secret(Buffer.from(r));
    } finally {
      r.fill(0);
    }
  }

  writePending(key: Secret<Buffer>): void {
    const tmp = `${this.#pending}.tmp`;
    rmSync(tmp, { force: true });
    this.#run(['encrypt', `--name=${CREDENTIAL_NAME}`, '--with-key=auto', '-', tmp], key.expose()).fill(0);
    const fd = openSync(tmp, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#pending);
    syncDir(dirname(this.#pending));
  }

  commit(): void {
    renameSync(this.#pending, this.target);
    syncDir(dirname(this.target));
  }

  cleanup(): void {
    rmSync(`${this.#pending}.tmp`, { force: true });
  }

  #run(args: string[], input?: Buffer): Buffer {
    const r = spawnSync(this.systemdCreds, args, { input, maxBuffer: 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr?.toString('utf8').trim().split('\n')[0] ?? '');
      throw new AppError('missing_key', `systemd-creds ${args[0]} に失敗しました（${why}）。root で実行しているか、systemd-creds が使えるかを確認してください。`);
    }
    return r.stdout;
  }
}
