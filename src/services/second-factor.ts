import type { Actor } from '../domain/audit-events.js';
import type { UserView } from '../domain/users.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import type { UserRow } from '../storage/users-repo.js';
import { actorOf } from './accounts.js';
import { newRecoveryCodes, useRecoveryCode } from './recovery-codes.js';
import { matchTotp } from './totp.js';
import type { Vault } from './vault.js';

/** The part of the vault `factorFailed`, `webAuthnPassed` and `webAuthnEnrolled` use. */
export type SecondFactorStore = Pick<Vault, 'db' | 'secondFactor' | 'audit' | 'clock'>;

/** The part of the vault `checkTotp` and `confirmTotp` use. */
export type TotpCheckStore = Pick<Vault, 'db' | 'vaultId' | 'keys' | 'secondFactor' | 'audit' | 'clock'>;

/** The part of the vault `checkRecoveryCode` and `issueRecoveryCodes` use. */
export type RecoveryCheckStore = Pick<Vault, 'db' | 'keys' | 'secondFactor' | 'audit' | 'clock'>;

/** Wrong second-factor codes in a row that lock the account (as wrong passwords do) until an admin unlocks it. */
export const SECOND_FACTOR_LOCK_AFTER = 5;

export type FactorMethod = 'totp' | 'recovery_code' | 'webauthn';

export type FactorResult = { ok: true } | { ok: false; locked: boolean };

/**
 * A wrong code or a refused assertion: counted per user (a right password
 * does not reset it) and audited; at SECOND_FACTOR_LOCK_AFTER the account
 * locks, which is audited too.
 */
export function factorFailed(vault: SecondFactorStore, user: UserRow, method: FactorMethod, client: string | null): FactorResult {
  const at = vault.clock.now().toISOString();
  return writeTransaction(vault.db, () => {
    const f = vault.secondFactor.recordFailure(user.id, SECOND_FACTOR_LOCK_AFTER, at);
    vault.audit.append({ actor: actorOf(user), action: 'auth.second_factor_failed', client, detail: { user_id: user.id, method, failures: f.failures } });
    if (f.locked) {
      vault.secondFactor.deletePendingOf(user.id);
      vault.audit.append({ actor: actorOf(user), action: 'auth.locked', client, detail: { user_id: user.id, reason: 'second_factor', failures: f.failures } });
    }
    return { ok: false, locked: f.locked };
  });
}

function passed(vault: Pick<Vault, 'secondFactor' | 'audit'>, user: UserRow, method: FactorMethod, client: string | null, extra: Record<string, string | number> = {}): void {
  vault.secondFactor.recordSuccess(user.id);
  vault.audit.append({ actor: actorOf(user), action: 'auth.second_factor_verified', client, detail: { user_id: user.id, method, ...extra } });
}

/** A TOTP code at sign-in: right, and of a 30-second step not used before (each code works once). */
export function checkTotp(vault: TotpCheckStore, user: UserRow, code: string, client: string | null): FactorResult {
  const step = vault.secondFactor.totpOf(user.id)?.confirmedAt ? matchTotp(vault, user, code) : null;
  if (step !== null) {
    const ok = writeTransaction(vault.db, () => {
      if (!vault.secondFactor.useTotpStep(user.id, step)) return false;
      passed(vault, user, 'totp', client);
      return true;
    });
    if (ok) return { ok: true };
  }
  return factorFailed(vault, user, 'totp', client);
}

/** A recovery code at sign-in: one of the user's unused codes, then used up. */
export function checkRecoveryCode(vault: RecoveryCheckStore, user: UserRow, code: string, client: string | null): FactorResult {
  const ok = writeTransaction(vault.db, () => {
    if (!useRecoveryCode(vault, user, code)) return false;
    passed(vault, user, 'recovery_code', client, { recovery_codes_left: vault.secondFactor.unusedRecoveryCodes(user.id) });
    return true;
  });
  return ok ? { ok: true } : factorFailed(vault, user, 'recovery_code', client);
}

/** A verified WebAuthn assertion: its counter stored, the pass audited. */
export function webAuthnPassed(vault: SecondFactorStore, user: UserRow, credential: { id: string; counter: number }, client: string | null): void {
  writeTransaction(vault.db, () => {
    vault.secondFactor.credentialUsed(credential.id, credential.counter, vault.clock.now().toISOString());
    passed(vault, user, 'webauthn', client, { credential: credential.id.slice(0, 16) });
  });
}

/** Confirms a TOTP enrolment with a code from the new secret; the code's step counts as used. */
export function confirmTotp(vault: TotpCheckStore, user: UserView, code: string, client: string | null): boolean {
  const row = vault.secondFactor.totpOf(user.id);
  if (!row || row.confirmedAt) return false;
  const step = matchTotp(vault, user, code);
  if (step === null) return false;
  writeTransaction(vault.db, () => {
    vault.secondFactor.confirmTotp(user.id, step, vault.clock.now().toISOString());
    vault.secondFactor.recordSuccess(user.id);
    vault.audit.append({ actor: actorOf(user), action: 'auth.second_factor_enrolled', client, detail: { user_id: user.id, method: 'totp' } });
  });
  return true;
}

/** Stores a verified new WebAuthn credential with its audit row. */
export function webAuthnEnrolled(vault: SecondFactorStore, user: UserView, c: { id: string; publicKey: Buffer; counter: number; transports: string[] }, client: string | null): void {
  writeTransaction(vault.db, () => {
    if (vault.secondFactor.credential(c.id)) throw new AppError('conflict', 'このセキュリティキー（認証器）は既に登録されています。');
    vault.secondFactor.insertCredential({ ...c, userId: user.id, createdAt: vault.clock.now().toISOString() });
    vault.secondFactor.recordSuccess(user.id);
    vault.audit.append({ actor: actorOf(user), action: 'auth.second_factor_enrolled', client, detail: { user_id: user.id, method: 'webauthn', credential: c.id.slice(0, 16) } });
  });
}

/** New recovery codes for a user (the old ones stop working); the plaintext is returned to be shown once. */
export function issueRecoveryCodes(vault: RecoveryCheckStore, user: UserView, client: string | null): Secret<string>[] {
  const { codes, store } = newRecoveryCodes(vault, user);
  writeTransaction(vault.db, () => {
    store();
    vault.audit.append({ actor: actorOf(user), action: 'auth.recovery_codes_issued', client, detail: { user_id: user.id, count: codes.length } });
  });
  return codes;
}

/**
 * An admin removes another user's second factor (lost phone or key): TOTP,
 * WebAuthn credentials, recovery codes, pending sign-ins and sessions, with
 * one audit row. The user enrols again at the next sign-in (if required).
 */
export function resetSecondFactor(vault: Pick<Vault, 'db' | 'users' | 'sessions' | 'secondFactor' | 'audit'>, admin: Actor, userId: string, client: string | null): void {
  const user = vault.users.byId(userId);
  if (!user) throw new AppError('not_found', '指定されたユーザーは存在しません。');
  if (user.id === admin.id) throw new AppError('forbidden', '自分自身の二要素認証はリセットできません。別の管理者（事務取扱責任者）に依頼してください。');
  writeTransaction(vault.db, () => {
    const removed = vault.secondFactor.removeAllOf(user.id);
    vault.sessions.deleteForUser(user.id);
    vault.audit.append({ actor: admin, action: 'auth.second_factor_reset', client, detail: { user_id: user.id, login: user.login, totp: removed.totp ? 1 : 0, webauthn_credentials: removed.credentials, recovery_codes: removed.recoveryCodes } });
  });
  // The sealed TOTP secret's page is gone from the file: leave no copy in the WAL.
  checkpointTruncate(vault.db);
}
