import { userView, type UserView } from '../domain/users.js';
import type { WebAuthnCredentialRow } from '../storage/second-factor-repo.js';
import type { SecurityKeyRow } from '../storage/security-keys-repo.js';
import type { Vault } from './vault.js';

/** An account on the admin's list: whether it holds a PIN slot and since when its PIN is locked. */
export type UserListRow = UserView & { hasPin: boolean; pinLockedAt: string | null };

/**
 * The account pages' read model: staff accounts as pages may show them (never
 * the password hash) and the security keys they hold. Reads only; changes go
 * through services/accounts.ts, account-changes.ts and security-keys.ts.
 */
export class UserDirectory {
  constructor(private readonly repos: Pick<Vault, 'users' | 'slots' | 'securityKeys' | 'secondFactor'>) {}

  list(): UserListRow[] {
    const { users, slots } = this.repos;
    return users.all().map((u) => ({ ...userView(u), hasPin: slots.pinSlotOf(u.id) !== undefined, pinLockedAt: users.pinLockedAt(u.id) }));
  }

  byId(id: string): UserView | undefined {
    const u = this.repos.users.byId(id);
    return u && userView(u);
  }

  /** Accounts that may hold a security key: enabled handlers and admins. */
  keyCandidates(): UserView[] {
    return this.repos.users
      .all()
      .filter((u) => !u.disabledAt && u.role !== 'auditor')
      .map(userView);
  }

  /** Every key, current ones first, with the names of its holder and of the admin who enrolled it. */
  keys(): (SecurityKeyRow & { holder: string; enrolledByName: string })[] {
    const users = new Map(this.repos.users.all().map((u) => [u.id, u]));
    return this.repos.securityKeys.all().map((k) => ({ ...k, holder: users.get(k.userId)?.displayName ?? '—', enrolledByName: users.get(k.enrolledBy)?.displayName ?? '—' }));
  }

  key(id: number): SecurityKeyRow | undefined {
    return this.repos.securityKeys.byId(id);
  }

  /** A user's second factors: a confirmed authenticator app, the WebAuthn credentials, unused recovery codes. */
  secondFactorOf(userId: string): { totp: boolean; keys: WebAuthnCredentialRow[]; recoveryLeft: number } {
    const { secondFactor } = this.repos;
    return { totp: secondFactor.totpOf(userId)?.confirmedAt != null, keys: secondFactor.credentialsOf(userId), recoveryLeft: secondFactor.unusedRecoveryCodes(userId) };
  }

  /** Every account with whether it has a confirmed authenticator app and how many WebAuthn credentials. */
  secondFactorList(): (UserView & { totp: boolean; keys: number })[] {
    const { users, secondFactor } = this.repos;
    return users.all().map((u) => ({ ...userView(u), totp: secondFactor.totpOf(u.id)?.confirmedAt != null, keys: secondFactor.credentialsOf(u.id).length }));
  }
}
