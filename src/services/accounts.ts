import { randomUUID } from 'node:crypto';
import type { UserView } from '../domain/users.js';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { FormError, type FieldErrors } from '../domain/form-errors.js';
import { Secret } from '../domain/secret.js';
import { looksLikeNumber } from '../domain/digits.js';
import { PIN_LOCK_AFTER } from '../gate/requests.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import type { Role, UserRow } from '../domain/users.js';
import { checkPasswordRules, hashPassword, verifyPassword } from '../vault/password.js';
import { checkPinRules, createSlot, newPinParams, PRODUCTION_PIN_COST, unlockSlot, type PinCost } from '../vault/slots.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import { KeyedLock } from './keyed-lock.js';
import type { Vault } from './vault.js';
import { WorkQueue } from './work-queue.js';

/** The part of the vault `createUser`, `signIn` and `signInSerial` use. */
export type AccountStore = Pick<Vault, 'db' | 'users' | 'audit' | 'clock'>;

/** The part of the vault `unlockOwnPin` and `unlockOwnPinSerial` use. */
export type PinUnlockStore = Pick<Vault, 'db' | 'keys' | 'users' | 'slots' | 'audit' | 'clock'>;

/** Failed sign-ins in a row that lock an account (for signInLockMs, or until unlocked). */
export const LOCK_AFTER = 5;

export const ROLE_LABEL: Record<Role, string> = { admin: '事務取扱責任者', handler: '事務取扱担当者', auditor: '監査担当' };
const LOGIN = /^[a-z][a-z0-9._-]{1,31}$/u;

export function actorOf(user: Pick<UserRow, 'id' | 'displayName'>): Actor {
  return { id: user.id, name: user.displayName };
}

// Form errors are the domain's (domain/form-errors.ts); re-exported for the services that import them from here.
export { FormError, type FieldErrors };

export interface NewUserInput {
  login: string;
  displayName: string;
  role: string;
  password: Secret<string>;
}

/** A user's display name as stored (spaces folded), or what is wrong with it: shown on screens and in the trail. */
export function checkDisplayName(input: string): { displayName: string; problem?: string } {
  const unsafe = unsafeTextProblem('氏名', edgeSpaceTrimmed(input));
  const displayName = normaliseText(input).replace(/\s+/gu, ' ').trim();
  if (unsafe !== null) return { displayName, problem: unsafe };
  if (displayName === '' || displayName.length > 50) return { displayName, problem: '氏名を1〜50文字で入れてください。' };
  if (looksLikeNumber(displayName)) return { displayName, problem: '氏名に12桁の数字は入れられません。' };
  return { displayName };
}

/** Creates a user (no PIN yet: the PIN is set through the vault, see setUserPin). */
export async function createUser(vault: AccountStore, actor: Actor, input: NewUserInput, client: string | null): Promise<UserRow> {
  const errors: FieldErrors = {};
  const login = input.login.normalize('NFKC').trim().toLowerCase();
  if (!LOGIN.test(login)) errors.login = 'ユーザー名は英小文字で始まる2〜32文字（英小文字・数字・. _ -）にしてください。';
  else if (vault.users.byLogin(login)) errors.login = `ユーザー名「${login}」は既に使われています。別の名前にしてください。`;
  const { displayName, problem } = checkDisplayName(input.displayName);
  if (problem) errors.displayName = problem;
  if (!Object.hasOwn(ROLE_LABEL, input.role)) errors.role = '役割を選んでください。';
  const pw = checkPasswordRules(input.password);
  if (pw) errors.password = pw;
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const passwordHash = await hashPassword(input.password);
  const id = randomUUID();
  const now = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    vault.users.insert({ id, login, displayName, role: input.role as Role, passwordHash, createdAt: now });
    vault.audit.append({ actor, action: 'user.created', client, detail: { user_id: id, login, role: input.role } });
  });
  return vault.users.byId(id)!;
}

export function setUserDisabled(vault: Pick<Vault, 'db' | 'users' | 'sessions' | 'audit' | 'clock'>, actor: Actor, userId: string, disabled: boolean, client: string | null): void {
  const user = vault.users.byId(userId) ?? notFound();
  if (disabled && user.id === actor.id) throw new AppError('forbidden', '自分自身は無効にできません。');
  writeTransaction(vault.db, () => {
    vault.users.setDisabled(user.id, disabled ? vault.clock.now().toISOString() : null);
    if (disabled) vault.sessions.deleteForUser(user.id);
    vault.audit.append({ actor, action: disabled ? 'user.disabled' : 'user.enabled', client, detail: { user_id: user.id, login: user.login } });
  });
}

export function unlockUser(vault: Pick<Vault, 'db' | 'users' | 'audit'>, actor: Actor, userId: string, client: string | null): void {
  const user = vault.users.byId(userId) ?? notFound();
  writeTransaction(vault.db, () => {
    vault.users.unlock(user.id);
    vault.audit.append({ actor, action: 'user.unlocked', client, detail: { user_id: user.id, login: user.login } });
  });
}

/**
 * Gives a user a PIN slot (replacing an earlier one). The admin's own PIN opens
 * the vault private key, which is wrapped again under the user's new PIN and zeroed.
 */
/**
 * A signed-in person's own PIN typed into a page (setting another user's PIN,
 * changing one's own, regenerating the recovery code) opens the vault key.
 * It counts exactly like a PIN at the gate: refused while locked, each wrong
 * PIN audited and counted, the lock after PIN_LOCK_AFTER audited, a success
 * resets the count. So a borrowed browser session cannot guess a PIN.
 */
export async function unlockOwnPin(vault: PinUnlockStore, user: UserView, pin: Secret<string>, client: string | null, during: string, field: string): Promise<Secret<Buffer>> {
  return perAccount.run(`pin:${user.id}`, () => unlockOwnPinSerial(vault, user, pin, client, during, field));
}

async function unlockOwnPinSerial(vault: PinUnlockStore, user: UserView, pin: Secret<string>, client: string | null, during: string, field: string): Promise<Secret<Buffer>> {
  const lockedMessage = 'PINの誤りが続いたため、あなたのPINはロックされています。別の管理者に解除を依頼してください。';
  const slot = vault.slots.pinSlotOf(user.id);
  if (!slot) throw new FormError({ [field]: 'あなたにはまだPINがありません。別の管理者に設定してもらってください。' });
  // Counted before the slow unlock, settled after it.
  if (writeTransaction(vault.db, () => vault.users.reservePin(user.id, PIN_LOCK_AFTER)) === 'locked') throw new FormError({ [field]: lockedMessage });
  try {
    const key = await unlockSlot(slot, { kind: 'pin', pin }, vault.keys.pepper);
    writeTransaction(vault.db, () => vault.users.pinSucceeded(user.id));
    return key;
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'unauthorized')) {
      writeTransaction(vault.db, () => vault.users.releasePin(user.id)); // not a wrong PIN: take the reservation back
      throw err;
    }
    const locked = writeTransaction(vault.db, () => {
      const f = vault.users.settlePinFailure(user.id, PIN_LOCK_AFTER, vault.clock.now().toISOString());
      vault.audit.append({ actor: actorOf(user), action: 'slot.unlock_failed', client, detail: { slot_id: slot.id, kind: 'pin', during, failures: f.failures } });
      if (f.locked) vault.audit.append({ actor: actorOf(user), action: 'gate.pin_locked', client, detail: { user_id: user.id, failures: f.failures } });
      return f.locked;
    });
    const wrong = field === 'currentPin' ? '今のPINが正しくありません。' : 'あなたのPINが正しくありません。';
    throw new FormError({ [field]: locked ? 'PINの誤りが続いたため、あなたのPINはロックされました。別の管理者に解除を依頼してください。' : wrong });
  }
}

export async function setUserPin(
  vault: Pick<Vault, 'db' | 'vaultId' | 'keys' | 'users' | 'slots' | 'audit' | 'clock'>,
  admin: UserView,
  userId: string,
  adminPin: Secret<string>,
  newPin: Secret<string>,
  client: string | null,
  pinCost: PinCost = PRODUCTION_PIN_COST,
): Promise<void> {
  const user = vault.users.byId(userId) ?? notFound();
  const rule = checkPinRules(newPin);
  if (rule) throw new FormError({ newPin: rule });
  const key = await unlockOwnPin(vault, admin, adminPin, client, 'pin_reset', 'adminPin');
  try {
    const slot = await createSlot(vault.vaultId, randomUUID(), newPinParams(pinCost), { kind: 'pin', pin: newPin }, vault.keys.pepper, key);
    const now = vault.clock.now();
    writeTransaction(vault.db, () => {
      // An admin reset: the old PIN slot is revoked (and its wrapped key erased) in the same transaction.
      const previous = vault.slots.pinSlotOf(user.id);
      vault.slots.revokePinOf(user.id, now);
      if (previous) vault.audit.append({ actor: actorOf(admin), action: 'slot.revoked', client, detail: { slot_id: previous.id, kind: 'pin', user_id: user.id, reason: 'pin_reset' } });
      vault.slots.insert(slot, user.id, now);
      vault.audit.append({ actor: actorOf(admin), action: 'slot.added', client, detail: { slot_id: slot.id, kind: 'pin', user_id: user.id } });
    });
    // The old slot's wrapped key is erased; leave no copy of its page in the WAL.
    checkpointTruncate(vault.db);
  } finally {
    key.wipe();
  }
}

export type SignInResult = { ok: true; user: UserRow } | { ok: false; message: string };

/** The one answer to every refused sign-in: an unknown login, a wrong password, a locked or disabled account look alike. */
export const SIGN_IN_DENIED = 'ユーザー名またはパスワードが正しくありません。失敗が続くとしばらくサインインできなくなります（時間をおくか、管理者に解除を依頼してください）。';

/** The nth sign-in lock in a row lasts 15 minutes × 2^(n-1), at most a day. */
export function signInLockMs(nth: number): number {
  return Math.min(15 * 60_000 * 2 ** Math.min(nth - 1, 16), 24 * 3600_000);
}

/** Sign-ins and page PINs of one account run one at a time (check, hash, count never interleave). */
const perAccount = new KeyedLock();

/** Password hashes for sign-in: two at a time, eight waiting, the rest shed with 429. */
export const signInHashing = new WorkQueue(2, 8, 'サインインが混み合っています。少し待ってからもう一度お試しください。');

/**
 * Checks a password. The attempt is counted before the slow hash and settled
 * after it, one attempt per account at a time, so a burst cannot outrun the
 * lock: after LOCK_AFTER failures in a row the account locks for
 * signInLockMs(n), doubling each time, until a success, an admin or
 * `mnvault unlock`. Every attempt is audited. Unknown logins cost the same
 * scrypt work and get the same answer as a locked or disabled account.
 * Throws 'overloaded' when the hashing queue is full (nothing counted).
 */
export async function signIn(vault: AccountStore, login: string, password: Secret<string>, client: string | null, hashing: WorkQueue = signInHashing): Promise<SignInResult> {
  const name = login.normalize('NFKC').trim().toLowerCase().slice(0, 64);
  return hashing.run(() => perAccount.run(`login:${name}`, () => signInSerial(vault, name, password, client)));
}

async function signInSerial(vault: AccountStore, name: string, password: Secret<string>, client: string | null): Promise<SignInResult> {
  const denied: SignInResult = { ok: false, message: SIGN_IN_DENIED };
  const user = vault.users.byLogin(name);
  const state = user ? writeTransaction(vault.db, () => vault.users.reserveLogin(user.id, LOCK_AFTER, vault.clock.now().toISOString())) : 'open';
  const refused = !user || state === 'locked' || user.disabledAt !== null;
  // The same work whatever the outcome, so timing does not tell which accounts exist or are locked.
  const ok = (await verifyPassword(password, refused ? DUMMY_HASH : user.passwordHash)) && !refused;
  const now = vault.clock.now();
  if (!user) {
    writeTransaction(vault.db, () =>
      vault.audit.append({
        actor: { id: 'anonymous', name: '未登録' },
        action: 'auth.sign_in_failed',
        client,
        // What was typed is kept only if it cannot be a number someone typed into the wrong field.
        detail: { login: looksLikeNumber(name) ? '（数字列のため記録しません）' : name, reason: 'unknown_user' },
      }),
    );
    return denied;
  }
  if (!ok) {
    const reason = state === 'locked' ? 'locked' : user.disabledAt ? 'disabled' : 'wrong_password';
    writeTransaction(vault.db, () => {
      if (state === 'open') {
        const r = vault.users.settleLoginFailure(user.id, LOCK_AFTER, now, signInLockMs);
        if (r.locked && reason === 'wrong_password') {
          vault.audit.append({ actor: actorOf(user), action: 'auth.locked', client, detail: { user_id: user.id, failed_logins: r.failedLogins, until: r.until } });
        }
      }
      vault.audit.append({ actor: actorOf(user), action: 'auth.sign_in_failed', client, detail: { user_id: user.id, reason } });
    });
    return denied;
  }
  writeTransaction(vault.db, () => {
    vault.users.recordSuccess(user.id, now.toISOString());
    vault.audit.append({ actor: actorOf(user), action: 'auth.signed_in', client, detail: { user_id: user.id } });
  });
  return { ok: true, user: vault.users.byId(user.id)! };
}

// A real scrypt hash of a random password, verified when the login is unknown.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function notFound(): never {
  throw new AppError('not_found', '指定されたユーザーは存在しません。');
}

/** A user signs out: recorded as 'auth.signed_out' (the session itself is ended by the web layer). */
export function recordSignOut(vault: Pick<Vault, 'db' | 'audit'>, user: Pick<UserView, 'id' | 'displayName'>, client: string | null): void {
  writeTransaction(vault.db, () => vault.audit.append({ actor: actorOf(user), action: 'auth.signed_out', client, detail: {} }));
}
