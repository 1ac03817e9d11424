import type { Role, UserRow } from '../domain/users.js';
import type { Db } from './database.js';

// Role and UserRow are the domain's (domain/users.ts); re-exported for the code that imports them from here.
export type { Role, UserRow };

interface Raw {
  id: string;
  login: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled_at: string | null;
  created_at: string;
  failed_logins: number;
  locked_at: string | null;
  locked_until: string | null;
  last_login_at: string | null;
  must_change_password: number;
}

const toUser = (r: Raw): UserRow => ({
  id: r.id,
  login: r.login,
  displayName: r.display_name,
  role: r.role,
  passwordHash: r.password_hash,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  failedLogins: r.failed_logins,
  lockedAt: r.locked_at,
  lockedUntil: r.locked_until,
  lastLoginAt: r.last_login_at,
  mustChangePassword: r.must_change_password === 1,
});

export type NewUser = Pick<UserRow, 'id' | 'login' | 'displayName' | 'role' | 'passwordHash' | 'createdAt'>;

export class UsersRepo {
  constructor(private readonly db: Db) {}

  insert(u: NewUser): void {
    this.db
      .prepare('INSERT INTO users (id, login, display_name, role, password_hash, created_at) VALUES (@id, @login, @displayName, @role, @passwordHash, @createdAt)')
      .run(u);
  }

  byLogin(login: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE login = ?').get(login) as Raw | undefined;
    return r && toUser(r);
  }

  byId(id: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Raw | undefined;
    return r && toUser(r);
  }

  all(): UserRow[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY role, login').all() as Raw[]).map(toUser);
  }

  /** Counts a failure in a row; at lockAfter the lock column is set (once). */
  private countFailure(id: string, counter: 'failed_logins' | 'failed_pins', lock: 'locked_at' | 'pin_locked_at', lockAfter: number, at: string): { failures: number; locked: boolean } {
    this.db.prepare(`UPDATE users SET ${counter} = ${counter} + 1 WHERE id = ?`).run(id);
    const failures = this.db.prepare(`SELECT ${counter} FROM users WHERE id = ?`).pluck().get(id) as number;
    const locked = failures >= lockAfter;
    if (locked) this.db.prepare(`UPDATE users SET ${lock} = coalesce(${lock}, ?) WHERE id = ?`).run(at, id);
    return { failures, locked };
  }

  /** A wrong password at sign-in. */
  recordFailure(id: string, lockAfter: number, at: string): { failedLogins: number; locked: boolean } {
    const r = this.countFailure(id, 'failed_logins', 'locked_at', lockAfter, at);
    return { failedLogins: r.failures, locked: r.locked };
  }

  /** A wrong PIN at the appliance. */
  pinFailed(id: string, lockAfter: number, at: string): { failures: number; locked: boolean } {
    return this.countFailure(id, 'failed_pins', 'pin_locked_at', lockAfter, at);
  }

  pinSucceeded(id: string): void {
    this.db.prepare('UPDATE users SET failed_pins = 0 WHERE id = ?').run(id);
  }

  /** Wrong PINs in a row (at the appliance or typed into a page) since the last right one. */
  pinFailures(id: string): number {
    return (this.db.prepare('SELECT failed_pins FROM users WHERE id = ?').pluck().get(id) as number | undefined) ?? 0;
  }

  pinLockedAt(id: string): string | null {
    return (this.db.prepare('SELECT pin_locked_at FROM users WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  unlockPin(id: string): void {
    this.db.prepare('UPDATE users SET failed_pins = 0, pin_locked_at = NULL WHERE id = ?').run(id);
  }

  recordSuccess(id: string, at: string): void {
    this.db.prepare('UPDATE users SET failed_logins = 0, lock_count = 0, last_login_at = ? WHERE id = ?').run(at, id);
  }

  /**
   * Counts a sign-in attempt BEFORE its password is checked ('open'), or
   * refuses it while the account is locked ('locked', nothing counted). A lock
   * whose time has passed is lifted here, one failure short of the next lock.
   */
  reserveLogin(id: string, lockAfter: number, now: string): 'open' | 'locked' {
    const r = this.db.prepare('SELECT failed_logins, locked_at, locked_until FROM users WHERE id = ?').get(id) as
      | { failed_logins: number; locked_at: string | null; locked_until: string | null }
      | undefined;
    if (!r) return 'locked';
    if (r.locked_at !== null) {
      if (r.locked_until === null || r.locked_until > now) return 'locked';
      this.db.prepare('UPDATE users SET locked_at = NULL, locked_until = NULL, failed_logins = ? WHERE id = ?').run(lockAfter - 1, id);
    } else if (r.failed_logins >= lockAfter) {
      return 'locked';
    }
    this.db.prepare('UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?').run(id);
    return 'open';
  }

  /**
   * Settles a reserved attempt that failed: it is already counted; at
   * lockAfter the account locks until at + lockMs(nth lock in a row).
   */
  settleLoginFailure(id: string, lockAfter: number, at: Date, lockMs: (nth: number) => number): { failedLogins: number; locked: boolean; until: string | null } {
    const r = this.db.prepare('SELECT failed_logins, lock_count FROM users WHERE id = ?').get(id) as { failed_logins: number; lock_count: number };
    if (r.failed_logins < lockAfter) return { failedLogins: r.failed_logins, locked: false, until: null };
    const nth = r.lock_count + 1;
    const until = new Date(at.getTime() + lockMs(nth)).toISOString();
    this.db.prepare('UPDATE users SET locked_at = ?, locked_until = ?, lock_count = ? WHERE id = ? AND locked_at IS NULL').run(at.toISOString(), until, nth, id);
    return { failedLogins: r.failed_logins, locked: true, until };
  }

  /** Counts a PIN typed into a page before it is checked ('open'), or refuses it while the PIN is locked. */
  reservePin(id: string, lockAfter: number): 'open' | 'locked' {
    const r = this.db.prepare('SELECT failed_pins, pin_locked_at FROM users WHERE id = ?').get(id) as { failed_pins: number; pin_locked_at: string | null } | undefined;
    if (!r || r.pin_locked_at !== null || r.failed_pins >= lockAfter) return 'locked';
    this.db.prepare('UPDATE users SET failed_pins = failed_pins + 1 WHERE id = ?').run(id);
    return 'open';
  }

  /** Takes back a reserved PIN whose check failed for another reason than a wrong PIN. */
  releasePin(id: string): void {
    this.db.prepare('UPDATE users SET failed_pins = max(failed_pins - 1, 0) WHERE id = ?').run(id);
  }

  /** Settles a reserved PIN that was wrong: already counted; locks at lockAfter. */
  settlePinFailure(id: string, lockAfter: number, at: string): { failures: number; locked: boolean } {
    const failures = this.db.prepare('SELECT failed_pins FROM users WHERE id = ?').pluck().get(id) as number;
    const locked = failures >= lockAfter;
    if (locked) this.db.prepare('UPDATE users SET pin_locked_at = coalesce(pin_locked_at, ?) WHERE id = ?').run(at, id);
    return { failures, locked };
  }

  unlock(id: string): void {
    this.db.prepare('UPDATE users SET failed_logins = 0, locked_at = NULL, locked_until = NULL, lock_count = 0 WHERE id = ?').run(id);
  }

  setDisabled(id: string, at: string | null): void {
    this.db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(at, id);
  }

  setPasswordHash(id: string, hash: string): void {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
  }

  /** A new password; mustChange marks it temporary (an admin's reset). */
  setPassword(id: string, hash: string, mustChange: boolean): void {
    this.db.prepare('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?').run(hash, mustChange ? 1 : 0, id);
  }

  setProfile(id: string, displayName: string, role: Role): void {
    this.db.prepare('UPDATE users SET display_name = ?, role = ? WHERE id = ?').run(displayName, role, id);
  }

  /** Enabled admins other than the one named: a role change must leave at least one. */
  otherActiveAdmins(id: string): number {
    return this.db.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?").pluck().get(id) as number;
  }
}
