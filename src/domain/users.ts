/**
 * Staff accounts as the rules see them: who signs in, with which role
 * (事務取扱責任者, 事務取扱担当者, 監査担当), and what pages may be shown of them.
 */
export type Role = 'admin' | 'handler' | 'auditor';

export interface UserRow {
  id: string;
  login: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  disabledAt: string | null;
  createdAt: string;
  failedLogins: number;
  lockedAt: string | null;
  /** When a sign-in lock ends by itself; null with lockedAt set: until unlocked. */
  lockedUntil: string | null;
  lastLoginAt: string | null;
  /** The password was reset by an admin: no page opens until the user picks a new one. */
  mustChangePassword: boolean;
}

/** An account as pages show it: everything but the password hash, which never reaches a template. */
export type UserView = Omit<UserRow, 'passwordHash'>;

export function userView(user: UserRow): UserView {
  const shown: Partial<UserRow> = { ...user };
  delete shown.passwordHash;
  return shown as UserView;
}
