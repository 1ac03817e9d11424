import type { Actor } from '../domain/audit-events.js';
import { writeTransaction } from '../storage/database.js';
import type { UserRow } from '../storage/users-repo.js';
import type { Vault } from './vault.js';

/**
 * Who must pass a second factor at web sign-in. Admins (事務取扱責任者) always:
 * they manage accounts, keys and disposal. Handlers and auditors when the admin
 * turns the setting on (meta `second_factor_staff` = 'required'). The PPC
 * guideline (事業者編, 別添1 安全管理措置 F 技術的安全管理措置 b「アクセス者の識別と認証」)
 * asks for identification and authentication proportionate to the data; the
 * stricter reading is a second factor for whoever manages access.
 */
export const STAFF_SETTING = 'second_factor_staff';

export function staffRequired(vault: Pick<Vault, 'meta'>): boolean {
  return vault.meta.get(STAFF_SETTING) === 'required';
}

export function secondFactorRequired(vault: Pick<Vault, 'meta'>, user: Pick<UserRow, 'role'>): boolean {
  return user.role === 'admin' || staffRequired(vault);
}

/** Has a confirmed TOTP secret or at least one WebAuthn credential. */
export function isEnrolled(vault: Pick<Vault, 'secondFactor'>, userId: string): boolean {
  return vault.secondFactor.totpOf(userId)?.confirmedAt != null || vault.secondFactor.credentialsOf(userId).length > 0;
}

/** Enrolled, but no unused recovery code left (never issued, or all used). */
export function recoveryCodesMissing(vault: Pick<Vault, 'secondFactor'>, userId: string): boolean {
  return isEnrolled(vault, userId) && vault.secondFactor.unusedRecoveryCodes(userId) === 0;
}

/** After a right password: go straight in, pass the second factor, or enrol one first. */
export function nextStep(vault: Pick<Vault, 'meta' | 'secondFactor'>, user: Pick<UserRow, 'id' | 'role'>): 'none' | 'verify' | 'enrol' {
  if (isEnrolled(vault, user.id)) return 'verify';
  return secondFactorRequired(vault, user) ? 'enrol' : 'none';
}

/** The admin's setting for handlers and auditors; the change and its audit row commit together. */
export function setStaffRequired(vault: Pick<Vault, 'db' | 'meta' | 'users' | 'sessions' | 'secondFactor' | 'audit'>, actor: Actor, required: boolean, client: string | null): void {
  const before = staffRequired(vault);
  if (before === required) return;
  writeTransaction(vault.db, () => {
    vault.meta.set(STAFF_SETTING, required ? 'required' : 'optional');
    // Turned on: sessions of handlers and auditors without a second factor end now, so they enrol at once.
    if (required) for (const u of vault.users.all()) if (u.role !== 'admin' && !isEnrolled(vault, u.id)) vault.sessions.deleteForUser(u.id);
    vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: STAFF_SETTING, before: before ? 'required' : 'optional', after: required ? 'required' : 'optional' } });
  });
}
