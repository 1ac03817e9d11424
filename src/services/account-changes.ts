import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { writeTransaction } from '../storage/database.js';
import type { Role, UserRow, UserView } from '../domain/users.js';
import { checkPasswordRules, hashPassword, samePassword, verifyPassword } from '../vault/password.js';
import { actorOf, checkDisplayName, FormError, LOCK_AFTER, ROLE_LABEL, signInLockMs, type FieldErrors } from './accounts.js';
import type { Vault } from './vault.js';

/** The part of the vault `resetPassword` and `updateProfile` use. */
export type AccountChangeStore = Pick<Vault, 'db' | 'users' | 'sessions' | 'audit'>;

/**
 * Account changes after creation (利用者の変更): a user's own password change,
 * an admin's password reset (a temporary password the user must replace at the
 * next sign-in), and an admin's edit of a display name and role. Each change
 * and its audit row commit together.
 */

export interface PasswordChange {
  current: Secret<string>;
  next: Secret<string>;
  confirm: Secret<string>;
}

/**
 * The signed-in user replaces their password. The current password is counted
 * like a sign-in (a borrowed session cannot guess it: LOCK_AFTER wrong ones
 * lock the account). Other sessions of the user end; the one in use stays.
 * The account is read here: the signed-in user's view carries no password hash.
 */
export async function changeOwnPassword(vault: Pick<Vault, 'db' | 'users' | 'sessions' | 'audit' | 'clock'>, account: Pick<UserView, 'id'>, change: PasswordChange, sessionIdHash: Buffer, client: string | null): Promise<void> {
  const user = vault.users.byId(account.id);
  if (!user) throw new AppError('not_found', 'このアカウントは見つかりません。もう一度サインインしてください。');
  const errors: FieldErrors = {};
  const rule = checkPasswordRules(change.next);
  if (rule) errors.newPassword = rule;
  else if (!samePassword(change.next, change.confirm)) errors.confirmPassword = '確認のパスワードが新しいパスワードと一致しません。同じものを2回入れてください。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const now = vault.clock.now();
  if (writeTransaction(vault.db, () => vault.users.reserveLogin(user.id, LOCK_AFTER, now.toISOString())) === 'locked') {
    throw new FormError({ currentPassword: '失敗が続いたため、このアカウントはしばらく使えません。時間をおくか、管理者に解除を依頼してください。' });
  }
  if (!(await verifyPassword(change.current, user.passwordHash))) {
    writeTransaction(vault.db, () => {
      const r = vault.users.settleLoginFailure(user.id, LOCK_AFTER, now, signInLockMs);
      if (r.locked) vault.audit.append({ actor: actorOf(user), action: 'auth.locked', client, detail: { user_id: user.id, failed_logins: r.failedLogins, until: r.until } });
      vault.audit.append({ actor: actorOf(user), action: 'user.password_change_refused', client, detail: { user_id: user.id } });
    });
    throw new FormError({ currentPassword: '今のパスワードが正しくありません。' });
  }
  if (await verifyPassword(change.next, user.passwordHash)) {
    writeTransaction(vault.db, () => vault.users.recordSuccess(user.id, now.toISOString()));
    throw new FormError({ newPassword: '今と同じパスワードです。別のパスワードにしてください。' });
  }
  const hash = await hashPassword(change.next);
  writeTransaction(vault.db, () => {
    vault.users.recordSuccess(user.id, now.toISOString());
    vault.users.setPassword(user.id, hash, false);
    vault.sessions.deleteOthersForUser(user.id, sessionIdHash);
    vault.audit.append({ actor: actorOf(user), action: 'user.password_changed', client, detail: { user_id: user.id, was_temporary: user.mustChangePassword } });
  });
}

/**
 * An admin gives a user a temporary password: the user's sessions end, a
 * sign-in lock is lifted, and the next sign-in opens only the password page.
 */
export async function resetPassword(vault: AccountChangeStore, admin: Actor, userId: string, temporary: Secret<string>, client: string | null): Promise<void> {
  const user = vault.users.byId(userId) ?? notFound();
  if (user.id === admin.id) throw new FormError({ password: '自分のパスワードは「パスワードの変更」から変えてください。' });
  const rule = checkPasswordRules(temporary);
  if (rule) throw new FormError({ password: rule });
  const hash = await hashPassword(temporary);
  writeTransaction(vault.db, () => {
    vault.users.setPassword(user.id, hash, true);
    vault.users.unlock(user.id);
    vault.sessions.deleteForUser(user.id);
    vault.audit.append({ actor: admin, action: 'user.password_reset', client, detail: { user_id: user.id, login: user.login } });
  });
}

export interface ProfileInput {
  displayName: string;
  role: string;
}

/**
 * An admin edits a user's display name and role. An admin cannot change their
 * own role, and the last enabled admin stays one (someone must manage accounts).
 * The user's sessions end when the role changes, so no page keeps the old rights.
 */
export function updateProfile(vault: AccountChangeStore, admin: Actor, userId: string, input: ProfileInput, client: string | null): UserRow {
  const user = vault.users.byId(userId) ?? notFound();
  const errors: FieldErrors = {};
  const { displayName, problem } = checkDisplayName(input.displayName);
  if (problem) errors.displayName = problem;
  if (!Object.hasOwn(ROLE_LABEL, input.role)) errors.role = '役割を選んでください。';
  const role = input.role as Role;
  if (!errors.role && role !== user.role) {
    if (user.id === admin.id) errors.role = '自分の役割は変えられません。別の管理者に依頼してください。';
    else if (user.role === 'admin' && vault.users.otherActiveAdmins(user.id) === 0) errors.role = '有効な事務取扱責任者が他にいないため、役割を変えられません。';
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  if (displayName === user.displayName && role === user.role) return user;
  writeTransaction(vault.db, () => {
    vault.users.setProfile(user.id, displayName, role);
    if (role !== user.role) vault.sessions.deleteForUser(user.id);
    vault.audit.append({
      actor: admin,
      action: 'user.updated',
      client,
      detail: { user_id: user.id, login: user.login, display_name_from: user.displayName, display_name_to: displayName, role_from: user.role, role_to: role },
    });
  });
  return vault.users.byId(user.id)!;
}

function notFound(): never {
  throw new AppError('not_found', '指定されたユーザーは存在しません。');
}
