import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import { Secret, zeroize } from '../domain/secret.js';
import { DB_CIPHER, openDatabase, writeTransaction, type Db } from '../storage/database.js';
import { MetaRepo } from '../storage/meta-repo.js';
import { migrate } from '../storage/migrate.js';
import { deriveFromCredential, devCredentialPath, locateCredential, writeDevCredential, type CredentialLocation } from '../vault/credential.js';
import { generateServiceKeys, SERVICE_KEY_NAMES, wipeServiceKeys, wrapServiceKey } from '../vault/keyring.js';
import { checkPasswordRules, hashPassword } from '../vault/password.js';
import { checkPinRules, createSlot, generateRecoveryCode, newPinParams, PRODUCTION_PIN_COST, type PinCost } from '../vault/slots.js';
import { generateX25519 } from '../vault/x25519.js';
import { headPath } from '../audit/head-witness.js';
import { assemble, databasePath, type Vault } from './vault.js';

export interface InitOptions {
  dataDir: string;
  credential: Secret<Buffer>;
  credentialLocation: CredentialLocation;
  admin: { login: string; displayName?: string; password: Secret<string>; pin: Secret<string> };
  clock: Clock;
  pinCost?: PinCost;
}

export interface InitResult {
  vault: Vault;
  vaultId: string;
  /** Shown once, to be printed and kept in the safe (金庫). Not stored anywhere. */
  recoveryCode: Secret<string>;
}

const LOGIN = /^[a-z][a-z0-9._-]{1,31}$/u;

/**
 * Creates a new vault: database, vault key pair, service keys, the first admin
 * with a PIN slot, and a recovery slot. All rows and their audit events commit
 * in one transaction; on any failure the new database file is removed, so a
 * half-made vault is never left behind. Refuses to touch an existing vault.
 */
export async function initVault(opts: InitOptions): Promise<InitResult> {
  const login = opts.admin.login.normalize('NFKC').trim().toLowerCase();
  if (!LOGIN.test(login)) {
    throw new AppError('invalid', '管理者のユーザー名は英小文字で始まる2〜32文字（英小文字・数字・. _ -）にしてください。');
  }
  const pwProblem = checkPasswordRules(opts.admin.password);
  if (pwProblem) throw new AppError('invalid', `管理者パスワード: ${pwProblem}`);
  const pinProblem = checkPinRules(opts.admin.pin);
  if (pinProblem) throw new AppError('invalid', `管理者PIN: ${pinProblem}`);

  const path = databasePath(opts.dataDir);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const now = opts.clock.now();
  const vaultId = randomUUID();
  const pair = generateX25519();
  const vaultKey = new Secret(pair.privateKey);
  const serviceKeys = generateServiceKeys();
  const recoveryCode = generateRecoveryCode();
  const adminId = randomUUID();
  const pinSlotId = randomUUID();
  const recoverySlotId = randomUUID();
  let db: Db | undefined;
  const dbKey = deriveFromCredential(opts.credential, 'sqlite');
  try {
    const passwordHash = await hashPassword(opts.admin.password);
    const pinSlot = await createSlot(vaultId, pinSlotId, newPinParams(opts.pinCost ?? PRODUCTION_PIN_COST), { kind: 'pin', pin: opts.admin.pin }, serviceKeys.pepper, vaultKey);
    const recoverySlot = await createSlot(vaultId, recoverySlotId, { kind: 'recovery' }, { kind: 'recovery', code: recoveryCode }, serviceKeys.pepper, vaultKey);

    db = openDatabase(path, dbKey, { create: true });
    migrate(db, now);
    const meta = new MetaRepo(db);
    const kek = deriveFromCredential(opts.credential, 'keyring');
    writeTransaction(db, () => {
      meta.set('vault_id', vaultId);
      meta.set('vault_public_key', pair.publicKey.toString('base64'));
      meta.set('created_at', now.toISOString());
      for (const name of SERVICE_KEY_NAMES) meta.putWrappedKey(name, wrapServiceKey(kek, vaultId, name, serviceKeys[name]));
    });
    kek.wipe();

    const vault = assemble(db, dbKey, opts.credential, opts.dataDir, opts.credentialLocation, opts.clock);
    const actor = { id: 'cli', name: 'mnvault init' };
    const adminActor = { id: adminId, name: opts.admin.displayName ?? login };
    writeTransaction(db, () => {
      vault.audit.append({ actor, action: 'vault.initialised', detail: { vault_id: vaultId, cipher: DB_CIPHER, development_key: opts.credentialLocation.development } });
      vault.users.insert({ id: adminId, login, displayName: adminActor.name, role: 'admin', passwordHash, createdAt: now.toISOString() });
      vault.audit.append({ actor, action: 'user.created', detail: { user_id: adminId, login, role: 'admin' } });
      vault.slots.insert(pinSlot, adminId, now);
      vault.audit.append({ actor, action: 'slot.added', detail: { slot_id: pinSlotId, kind: 'pin', user_id: adminId } });
      vault.slots.insert(recoverySlot, null, now);
      vault.audit.append({ actor, action: 'slot.added', detail: { slot_id: recoverySlotId, kind: 'recovery' } });
    });
    return { vault, vaultId, recoveryCode };
  } catch (err) {
    if (db) {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      rmSync(headPath(opts.dataDir), { force: true });
    }
    dbKey.wipe();
    recoveryCode.wipe();
    throw err;
  } finally {
    zeroize(pair.privateKey);
    // The Vault unwrapped its own copies from the database.
    wipeServiceKeys(serviceKeys);
  }
}

/**
 * initVault with a new development key written to DATA/credentials/db-key
 * (`init --dev`, the demo, tests and the bench). If init fails, the key it
 * wrote is removed again, so the same command can simply be run once more.
 */
export async function initDevVault(opts: Omit<InitOptions, 'credential' | 'credentialLocation'>): Promise<InitResult> {
  const credential = writeDevCredential(opts.dataDir);
  try {
    return await initVault({ ...opts, credential, credentialLocation: locateCredential(opts.dataDir, undefined) });
  } catch (err) {
    rmSync(devCredentialPath(opts.dataDir), { force: true });
    throw err;
  } finally {
    credential.wipe();
  }
}
