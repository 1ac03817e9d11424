import { AuditTrail } from '../audit/chain.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import type { Secret } from '../domain/secret.js';
import { AuditRepo } from '../storage/audit-repo.js';
import { DB_CIPHER, openDatabase, writeTransaction, type Db } from '../storage/database.js';
import { rekeyDatabase, resumeWal } from '../storage/database-rekey.js';
import { claimExclusive } from '../storage/exclusive.js';
import { MetaRepo } from '../storage/meta-repo.js';
import { deriveFromCredential } from '../vault/credential.js';
import { newCredential, type CredentialStore } from '../vault/credential-store.js';
import { SERVICE_KEY_NAMES, unwrapServiceKey, wrapServiceKey } from '../vault/keyring.js';
import { databasePath } from './vault.js';

/** vault_keys rows holding the service keys wrapped under the pending credential's keyring key. */
export const NEXT_KEY_PREFIX = 'next:';

export type RekeyStep = 'pending_written' | 'keyring_prepared' | 'database_rekeyed' | 'keyring_promoted' | 'credential_replaced';

export interface RekeyOptions {
  dataDir: string;
  store: CredentialStore;
  clock: Clock;
  /** Called after each durable step (the crash tests print them). */
  onStep?: (step: RekeyStep) => void;
}

export interface RekeyResult {
  /** True when an earlier, interrupted rekey was finished rather than a new one started. */
  resumed: boolean;
  auditSeq: number;
}

/**
 * `mnvault rekey`: a new random credential; the database re-keyed under the key
 * derived from it; the service keys (audit, index, pepper) wrapped again under
 * its keyring key; then the credential replaced. Needs the vault to itself.
 *
 * Order, so that a SIGKILL anywhere leaves a vault that opens under the old or
 * the new credential and a second run finishes the job:
 *  1. the new credential is written as pending (durable);
 *  2. the service keys are wrapped under it as `next:` rows (old database key);
 *  3. PRAGMA rekey (rollback journal: an interrupted rekey rolls back under the old key);
 *  4. one transaction promotes the `next:` rows and appends 'vault.rekeyed';
 *  5. the pending credential is renamed over the current one.
 * On start, with a pending credential, the old key is tried first (it rolls
 * back a half-done rekey), then the pending one.
 */
export function rekeyVault(opts: RekeyOptions): RekeyResult {
  const path = databasePath(opts.dataDir);
  const step = opts.onStep ?? (() => {});
  opts.store.cleanup();
  const current = opts.store.readCurrent();
  let pending = opts.store.readPending();
  const resumed = pending !== undefined;
  let db: Db | undefined;
  let auditSeq = 0;
  try {
    let underNew = false;
    try {
      db = openUnder(path, current);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'wrong_key') || !pending) throw err;
      db = openUnder(path, pending);
      underNew = true;
    }
    claimExclusive(db, 'データベース鍵の交換');
    const meta = new MetaRepo(db);
    const vaultId = meta.get('vault_id');
    if (!vaultId) throw new AppError('no_vault', 'データベースに金庫の情報がありません。');

    if (!underNew) {
      if (!pending) {
        pending = newCredential();
        opts.store.writePending(pending);
        step('pending_written');
      }
      prepareNextKeyring(db, meta, vaultId, current, pending);
      step('keyring_prepared');
      const newDbKey = deriveFromCredential(pending, 'sqlite');
      try {
        rekeyDatabase(db, newDbKey);
      } finally {
        newDbKey.wipe();
      }
      step('database_rekeyed');
    }
    auditSeq = promoteNextKeyring(db, meta, vaultId, pending!, opts, resumed);
    step('keyring_promoted');
    resumeWal(db);
    db.close();
    db = undefined;
    opts.store.commit();
    step('credential_replaced');
    verifyUnder(path, pending!, vaultId);
    return { resumed, auditSeq };
  } finally {
    db?.close();
    current.wipe();
    pending?.wipe();
  }
}

function openUnder(path: string, credential: Secret<Buffer>): Db {
  const key = deriveFromCredential(credential, 'sqlite');
  try {
    return openDatabase(path, key);
  } finally {
    key.wipe();
  }
}

/** Writes (again) the `next:` rows: every service key wrapped under the pending keyring key. */
function prepareNextKeyring(db: Db, meta: MetaRepo, vaultId: string, current: Secret<Buffer>, pending: Secret<Buffer>): void {
  const oldKek = deriveFromCredential(current, 'keyring');
  const newKek = deriveFromCredential(pending, 'keyring');
  try {
    writeTransaction(db, () => {
      for (const name of SERVICE_KEY_NAMES) {
        const wrapped = meta.wrappedKey(name);
        if (!wrapped) throw new AppError('tampered', `金庫の鍵束（${name}）がデータベースにありません。`);
        const key = unwrapServiceKey(oldKek, vaultId, name, wrapped);
        try {
          meta.putWrappedKey(NEXT_KEY_PREFIX + name, wrapServiceKey(newKek, vaultId, name, key));
        } finally {
          key.wipe();
        }
      }
    });
  } finally {
    oldKek.wipe();
    newKek.wipe();
  }
}

/**
 * Under the new database key: the `next:` rows replace the service-key rows and
 * 'vault.rekeyed' is appended, in one transaction. Without `next:` rows (an
 * earlier run got this far) it only checks that the keyring opens.
 */
function promoteNextKeyring(db: Db, meta: MetaRepo, vaultId: string, pending: Secret<Buffer>, opts: RekeyOptions, resumed: boolean): number {
  const kek = deriveFromCredential(pending, 'keyring');
  try {
    const staged = SERVICE_KEY_NAMES.every((name) => meta.wrappedKey(NEXT_KEY_PREFIX + name) !== undefined);
    const auditWrapped = meta.wrappedKey(staged ? NEXT_KEY_PREFIX + 'audit' : 'audit');
    if (!auditWrapped) throw new AppError('tampered', '金庫の鍵束（audit）がデータベースにありません。');
    const auditKey = unwrapServiceKey(kek, vaultId, 'audit', auditWrapped);
    try {
      const audit = new AuditTrail(new AuditRepo(db), auditKey, opts.clock);
      if (!staged) {
        for (const name of SERVICE_KEY_NAMES) unwrapServiceKey(kek, vaultId, name, meta.wrappedKey(name) ?? Buffer.alloc(0)).wipe();
        return audit.head()?.seq ?? 0;
      }
      return writeTransaction(db, () => {
        for (const name of SERVICE_KEY_NAMES) {
          meta.putWrappedKey(name, meta.wrappedKey(NEXT_KEY_PREFIX + name)!);
          meta.deleteWrappedKey(NEXT_KEY_PREFIX + name);
        }
        return audit.append({
          actor: { id: 'cli', name: 'mnvault rekey' },
          action: 'vault.rekeyed',
          detail: { cipher: DB_CIPHER, development_key: opts.store.development, resumed },
        }).seq;
      });
    } finally {
      auditKey.wipe();
    }
  } finally {
    kek.wipe();
  }
}

/** Opens the database again under the new credential and unwraps every service key. */
function verifyUnder(path: string, credential: Secret<Buffer>, vaultId: string): void {
  const db = openUnder(path, credential);
  const kek = deriveFromCredential(credential, 'keyring');
  try {
    const meta = new MetaRepo(db);
    for (const name of SERVICE_KEY_NAMES) unwrapServiceKey(kek, vaultId, name, meta.wrappedKey(name) ?? Buffer.alloc(0)).wipe();
  } finally {
    kek.wipe();
    db.close();
  }
}
