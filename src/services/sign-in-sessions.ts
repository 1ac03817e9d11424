import type { UserRow } from '../domain/users.js';
import { tryWriteNow, writeTransaction } from '../storage/database.js';
import type { PendingSignInRow } from '../storage/second-factor-repo.js';
import type { SessionRow } from '../storage/sessions-repo.js';
import { faultOf } from '../storage/storage-errors.js';
import type { Vault } from './vault.js';

export type { PendingSignInRow };

/**
 * The stored side of signing in: server-side sessions and the pending sign-ins
 * between a right password and the second factor, both keyed by the SHA-256 of
 * their cookie's id. The web layer keeps the cookies and the limits; this keeps
 * the rows. Made once by the composition.
 */
export class SignInSessions {
  constructor(private readonly repos: Pick<Vault, 'db' | 'sessions' | 'secondFactor' | 'users' | 'clock'>) {}

  now(): Date {
    return this.repos.clock.now();
  }

  /** The session and its account, when both exist (the caller judges the limits). */
  session(idHash: Buffer): { row: SessionRow; user: UserRow | undefined } | undefined {
    const row = this.repos.sessions.get(idHash);
    return row && { row, user: this.repos.users.byId(row.userId) };
  }

  /**
   * Stores a new session in one transaction: sessions past either limit (of everyone) are
   * deleted first, and the account keeps at most `keep` (the oldest end).
   */
  start(row: SessionRow, limits: { idleBefore: string; createdBefore: string; keep: number }): void {
    const { db, sessions } = this.repos;
    writeTransaction(db, () => {
      sessions.deleteOlderThan(limits.idleBefore, limits.createdBefore);
      sessions.insert(row);
      sessions.keepNewest(row.userId, limits.keep);
    });
  }

  end(idHash: Buffer): void {
    this.repos.sessions.delete(idHash);
  }

  /**
   * Records a session's last view. Skipped (tried again on a later request) while another process
   * holds the write lock, and while the storage takes no write (full, read-only): the write that
   * matters reports the fault.
   */
  touch(idHash: Buffer, at: Date): void {
    const { db, sessions } = this.repos;
    try {
      tryWriteNow(db, () => sessions.touch(idHash, at.toISOString()));
    } catch (err) {
      const fault = faultOf(err);
      if (fault !== 'full' && fault !== 'readonly') throw err;
    }
  }

  /** Stores a pending sign-in; those created before `staleBefore` (of everyone) are deleted first. */
  startPending(row: Omit<PendingSignInRow, 'challenge'>, staleBefore: string): void {
    this.repos.secondFactor.deletePendingOlderThan(staleBefore);
    this.repos.secondFactor.insertPending(row);
  }

  /** The pending sign-in and its account, when both exist (the caller judges freshness). */
  pending(idHash: Buffer): { row: PendingSignInRow; user: UserRow | undefined } | undefined {
    const row = this.repos.secondFactor.pending(idHash);
    return row && { row, user: this.repos.users.byId(row.userId) };
  }

  /** The WebAuthn challenge a pending sign-in waits for (null: none). */
  setChallenge(idHash: Buffer, challenge: string | null): void {
    this.repos.secondFactor.setChallenge(idHash, challenge);
  }

  endPending(idHash: Buffer): void {
    this.repos.secondFactor.deletePending(idHash);
  }
}
