import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuditTrail } from '../audit/chain.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import type { Secret } from '../domain/secret.js';
import { AuditRepo } from '../storage/audit-repo.js';
import { checkpointTruncate, checkReadable, DB_FILE, openDatabase, writeTransaction, type Db } from '../storage/database.js';
import { MetaRepo } from '../storage/meta-repo.js';
import { migrate } from '../storage/migrate.js';
import { PersonsRepo } from '../storage/persons-repo.js';
import { PurposeNoticesRepo } from '../storage/purpose-notices-repo.js';
import { RolesRepo } from '../storage/roles-repo.js';
import { RetentionRepo } from '../storage/retention-repo.js';
import { SessionsRepo } from '../storage/sessions-repo.js';
import { IdentityChecksRepo, IntakeCodesRepo } from '../storage/intake-repo.js';
import { CampaignsRepo } from '../storage/campaigns-repo.js';
import { GateRepo } from '../storage/gate-repo.js';
import { SecurityKeysRepo } from '../storage/security-keys-repo.js';
import { DoorAlarmsRepo } from '../storage/door-repo.js';
import { EntryLogRepo } from '../storage/entry-log-repo.js';
import { SlotsRepo } from '../storage/slots-repo.js';
import { SecondFactorRepo } from '../storage/second-factor-repo.js';
import { UsersRepo } from '../storage/users-repo.js';
import { guardHead, trackHead } from './head-guard.js';
import { discardPendingImports } from './import/import-persons.js';
import { storageFault } from '../domain/storage-faults.js';
import { logEvent } from '../log.js';
import { faultOf } from '../storage/storage-errors.js';
import { probeWrite } from '../storage/write-probe.js';
import { guardFile } from '../storage/file-guard.js';
import { deriveHeadKey } from '../audit/head-witness.js';
import { deriveFromCredential, locateCredential, readCredential, type CredentialLocation } from '../vault/credential.js';
import { pendingDevCredentialPath } from '../vault/credential-store.js';
import { SERVICE_KEY_NAMES, unwrapServiceKey, wipeServiceKeys, type ServiceKeyName, type ServiceKeys } from '../vault/keyring.js';

/** An open vault: the database, its repositories, the service keys and the audit trail. */
export interface Vault {
  dataDir: string;
  db: Db;
  /** The database key, kept while open for second connections (verify workers, backup). */
  dbKey: Secret<Buffer>;
  vaultId: string;
  publicKey: Buffer;
  keys: ServiceKeys;
  meta: MetaRepo;
  users: UsersRepo;
  slots: SlotsRepo;
  securityKeys: SecurityKeysRepo;
  persons: PersonsRepo;
  purposeNotices: PurposeNoticesRepo;
  roles: RolesRepo;
  sessions: SessionsRepo;
  /** TOTP, WebAuthn credentials, recovery codes and pending sign-ins (migration 050). */
  secondFactor: SecondFactorRepo;
  identityChecks: IdentityChecksRepo;
  intakeCodes: IntakeCodesRepo;
  /** Collection campaigns and their members (migration 140). */
  campaigns: CampaignsRepo;
  gate: GateRepo;
  doorAlarms: DoorAlarmsRepo;
  entryLog: EntryLogRepo;
  /** Retention rules, legal holds and disposal records (migration 008). */
  retention: RetentionRepo;
  auditRepo: AuditRepo;
  audit: AuditTrail;
  clock: Clock;
  credential: CredentialLocation;
  /** Authenticates DATA/audit-head, the witness of the committed chain head (audit/head-witness.ts). */
  headKey: Secret<Buffer>;
  /** False once the database file at dataDir is gone or replaced while open (writes are then refused). */
  filePresent(): boolean;
  /** Checkpoints the WAL, closes the database and zeroes the keys. */
  close(): void;
}

export interface OpenVaultOptions {
  dataDir: string;
  /** $CREDENTIALS_DIRECTORY, when systemd provides one. */
  credentialsDirectory?: string | undefined;
  /** Refuse the development credential (DATA/credentials/db-key). */
  production?: boolean;
  clock: Clock;
  /**
   * Skip the head-witness check: only for `mnvault accept-head`, which records
   * the override on the trail before anything else is done.
   */
  acceptHead?: boolean;
  /** Open without writing anything (no write probe, no migration, no witness update). */
  readonly?: boolean;
  /** MNVAULT_SYSLOG_WITNESS: a file holding the syslog copy of the chain, compared at start too. */
  syslogWitness?: string | undefined;
}

/**
 * Refuses a data folder or a vault.db that cannot take a write, naming why
 * (full, read-only), before the vault is touched: SQLite would otherwise open
 * a write-protected file read-only and fail at the first sign-in.
 */
function probeDataDir(dataDir: string, dbPath: string): void {
  try {
    accessSync(dbPath, constants.W_OK);
  } catch (cause) {
    throw new AppError('storage_readonly', `金庫のファイル（${dbPath}）に書き込めません（書き込み禁止のファイル）。ファイルの所有者・権限・属性（chattr）を確認してください。調査用の読み取り専用のコピーなら mnvault audit verify で検証できます。`, { cause });
  }
  try {
    probeWrite(dataDir);
  } catch (cause) {
    const kind = faultOf(cause);
    if (kind === 'full') throw storageFault('full', { cause, detail: dataDir });
    throw new AppError(
      'storage_readonly',
      `データフォルダ（${dataDir}）に書き込めません。読み取り専用のディスク・マウントになっていないか、所有者・権限（サービスの利用者 mnvault が書き込めること）を確認してください。調査用の読み取り専用のコピーなら mnvault audit verify で検証できます。`,
      { cause },
    );
  }
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Opens an existing vault. Throws 'no_vault', 'missing_key' or 'wrong_key'; never creates one. */
export function openVault(opts: OpenVaultOptions): Vault {
  if (existsSync(join(opts.dataDir, '.restore-incomplete'))) {
    throw new AppError('no_vault', 'この金庫への復元は途中で止まっています（検証と訓練が済んでいません）。フォルダーの中身を消してから、mnvault restore をやり直してください。');
  }
  const credential = locateCredential(opts.dataDir, opts.credentialsDirectory);
  if (opts.production && credential.development) {
    throw new AppError(
      'missing_key',
      '本番モードでは開発用のデータベース鍵を使えません。systemd の LoadCredentialEncrypted=db-key で鍵を渡してください（$CREDENTIALS_DIRECTORY が未設定です）。',
    );
  }
  const path = databasePath(opts.dataDir);
  // Look for the file before the credential, so a wrong --data reads as such.
  if (!existsSync(path)) {
    throw new AppError('no_vault', `データフォルダに金庫がありません（${path}）。--data の指定を確認するか、mnvault init で作成してください。`);
  }
  checkReadable(path);
  if (!opts.readonly) probeDataDir(opts.dataDir, path);
  const cred = readCredential(credential);
  const dbKey = deriveFromCredential(cred, 'sqlite');
  let db: Db | undefined;
  let vault: Vault | undefined;
  try {
    try {
      db = openDatabase(path, dbKey, { readonly: opts.readonly ?? false });
    } catch (err) {
      if (err instanceof AppError && err.code === 'wrong_key' && credential.development && existsSync(pendingDevCredentialPath(opts.dataDir))) {
        throw new AppError(
          'wrong_key',
          `データベース鍵の交換（mnvault rekey）が途中で止まっています。mnvault rekey --data ${opts.dataDir} をもう一度実行して完了させてください。`,
          { cause: err },
        );
      }
      throw err;
    }
    if (!opts.readonly) {
      const open = db;
      migrate(open, opts.clock.now());
      // Persons kept before the register's search existed are indexed once, at the first open after the upgrade.
      writeTransaction(open, () => new PersonsRepo(open).indexMissing());
    }
    vault = assemble(db, dbKey, cred, opts.dataDir, credential, opts.clock);
    if (!opts.acceptHead) guardHead(vault, vault.headKey, opts.syslogWitness);
    // An import a crash left half stored (hidden) is deleted before anything else is served.
    if (!opts.readonly && !opts.acceptHead) discardPendingImports(vault);
    return vault;
  } catch (err) {
    if (vault) {
      vault.close();
    } else {
      db?.close();
      dbKey.wipe();
    }
    throw err;
  } finally {
    cred.wipe();
  }
}

/**
 * Builds the Vault around an open, migrated database. Used by open and by init.
 * The Vault takes ownership of dbKey (wiped on close); cred is only read.
 */
export function assemble(db: Db, dbKey: Secret<Buffer>, cred: Secret<Buffer>, dataDir: string, credential: CredentialLocation, clock: Clock): Vault {
  const meta = new MetaRepo(db);
  const vaultId = meta.get('vault_id');
  const publicKeyB64 = meta.get('vault_public_key');
  if (!vaultId || !publicKeyB64) {
    throw new AppError('no_vault', 'データベースに金庫の情報がありません。mnvault init が途中で止まった可能性があります。データフォルダを確認してください。');
  }
  const kek = deriveFromCredential(cred, 'keyring');
  const unwrapped = new Map<string, Secret<Buffer>>();
  try {
    for (const name of SERVICE_KEY_NAMES) {
      const wrapped = meta.wrappedKey(name) ?? raiseMissingKey(name);
      unwrapped.set(name, unwrapWithStaged(meta, kek, vaultId, name, wrapped));
    }
  } finally {
    kek.wipe();
  }
  const keys: ServiceKeys = { audit: unwrapped.get('audit')!, index: unwrapped.get('index')!, pepper: unwrapped.get('pepper')! };
  const auditRepo = new AuditRepo(db);
  const headKey = deriveHeadKey(keys.audit);
  const audit = new AuditTrail(auditRepo, keys.audit, clock);
  const untrack = trackHead({ db, dataDir, vaultId, audit, auditRepo }, headKey);
  const file = guardFile(db, databasePath(dataDir));
  let closed = false;
  return {
    dataDir,
    db,
    dbKey,
    vaultId,
    publicKey: Buffer.from(publicKeyB64, 'base64'),
    keys,
    meta,
    users: new UsersRepo(db),
    slots: new SlotsRepo(db, vaultId),
    securityKeys: new SecurityKeysRepo(db),
    persons: new PersonsRepo(db),
    purposeNotices: new PurposeNoticesRepo(db),
    roles: new RolesRepo(db),
    sessions: new SessionsRepo(db),
    secondFactor: new SecondFactorRepo(db),
    identityChecks: new IdentityChecksRepo(db),
    intakeCodes: new IntakeCodesRepo(db),
    campaigns: new CampaignsRepo(db),
    gate: new GateRepo(db),
    doorAlarms: new DoorAlarmsRepo(db),
    entryLog: new EntryLogRepo(db),
    retention: new RetentionRepo(db),
    auditRepo,
    audit,
    clock,
    credential,
    headKey,
    filePresent: file.present,
    close() {
      if (closed) return;
      closed = true;
      // Never throws: a checkpoint that fails (a full disk) leaves the WAL, which the next open reads.
      try {
        untrack();
        file.stop();
        // One try: a reader that keeps the WAL busy leaves it for the next open.
        if (!db.readonly) checkpointTruncate(db, 1);
      } catch (cause) {
        logEvent('warn', 'checkpoint at close failed', { error: (cause as { code?: string })?.code ?? (cause as Error)?.name ?? 'unknown' });
      } finally {
        db.close();
        wipeServiceKeys(keys);
        dbKey.wipe();
        headKey.wipe();
      }
    },
  };
}

/**
 * A rekey interrupted after the database was re-keyed but before its keyring
 * rows were promoted leaves them as `next:NAME` (see services/rekey.ts); the
 * new credential opens those.
 */
function unwrapWithStaged(meta: MetaRepo, kek: Secret<Buffer>, vaultId: string, name: ServiceKeyName, wrapped: Buffer): Secret<Buffer> {
  try {
    return unwrapServiceKey(kek, vaultId, name, wrapped);
  } catch (err) {
    const staged = meta.wrappedKey(`next:${name}`);
    if (!staged) throw err;
    return unwrapServiceKey(kek, vaultId, name, staged);
  }
}

function raiseMissingKey(name: string): never {
  throw new AppError('tampered', `金庫の鍵束（${name}）がデータベースにありません。バックアップからの復元を検討してください。`);
}
