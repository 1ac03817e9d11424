import type { Db } from './database.js';

export interface TotpRow {
  userId: string;
  sealedSecret: Buffer;
  createdAt: string;
  confirmedAt: string | null;
  lastStep: number | null;
}

export interface WebAuthnCredentialRow {
  id: string;
  userId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface PendingSignInRow {
  idHash: Buffer;
  userId: string;
  purpose: 'verify' | 'enrol';
  client: string | null;
  createdAt: string;
  challenge: string | null;
}

/** The second factor's tables (migration 050): TOTP, WebAuthn credentials, recovery codes, pending sign-ins. */
export class SecondFactorRepo {
  constructor(private readonly db: Db) {}

  totpOf(userId: string): TotpRow | undefined {
    const r = this.db.prepare('SELECT * FROM second_factor_totp WHERE user_id = ?').get(userId) as
      | { user_id: string; sealed_secret: Buffer; created_at: string; confirmed_at: string | null; last_step: number | null }
      | undefined;
    return r && { userId: r.user_id, sealedSecret: r.sealed_secret, createdAt: r.created_at, confirmedAt: r.confirmed_at, lastStep: r.last_step };
  }

  /** A new (unconfirmed) secret, replacing an unconfirmed one. */
  putPendingTotp(userId: string, sealed: Buffer, at: string): void {
    this.db
      .prepare('INSERT INTO second_factor_totp (user_id, sealed_secret, created_at) VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at, confirmed_at = NULL, last_step = NULL WHERE confirmed_at IS NULL')
      .run(userId, sealed, at);
  }

  confirmTotp(userId: string, step: number, at: string): void {
    this.db.prepare('UPDATE second_factor_totp SET confirmed_at = ?, last_step = ? WHERE user_id = ?').run(at, step, userId);
  }

  /** Records the step of an accepted code; false when that step (or a later one) was already used. */
  useTotpStep(userId: string, step: number): boolean {
    return this.db.prepare('UPDATE second_factor_totp SET last_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)').run(step, userId, step).changes === 1;
  }

  credentialsOf(userId: string): WebAuthnCredentialRow[] {
    return (this.db.prepare('SELECT * FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at').all(userId) as RawCredential[]).map(toCredential);
  }

  credential(id: string): WebAuthnCredentialRow | undefined {
    const r = this.db.prepare('SELECT * FROM webauthn_credentials WHERE id = ?').get(id) as RawCredential | undefined;
    return r && toCredential(r);
  }

  insertCredential(c: Omit<WebAuthnCredentialRow, 'lastUsedAt'>): void {
    this.db
      .prepare('INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(c.id, c.userId, c.publicKey, c.counter, JSON.stringify(c.transports), c.createdAt);
  }

  credentialUsed(id: string, counter: number, at: string): void {
    this.db.prepare('UPDATE webauthn_credentials SET counter = ?, last_used_at = ? WHERE id = ?').run(counter, at, id);
  }

  replaceRecoveryCodes(userId: string, hmacs: Buffer[], at: string): void {
    this.db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').run(userId);
    const ins = this.db.prepare('INSERT INTO recovery_codes (user_id, code_hmac, created_at) VALUES (?, ?, ?)');
    for (const h of hmacs) ins.run(userId, h, at);
  }

  /** Marks an unused code used; false when there is no such unused code. */
  useRecoveryCode(userId: string, hmac: Buffer, at: string): boolean {
    return this.db.prepare('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hmac = ? AND used_at IS NULL').run(at, userId, hmac).changes === 1;
  }

  unusedRecoveryCodes(userId: string): number {
    return this.db.prepare('SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').pluck().get(userId) as number;
  }

  /** Everything of a user's second factor, for an admin reset. Returns what was removed. */
  removeAllOf(userId: string): { totp: boolean; credentials: number; recoveryCodes: number } {
    const totp = this.db.prepare('DELETE FROM second_factor_totp WHERE user_id = ? AND confirmed_at IS NOT NULL').run(userId).changes === 1;
    this.db.prepare('DELETE FROM second_factor_totp WHERE user_id = ?').run(userId);
    const credentials = this.db.prepare('DELETE FROM webauthn_credentials WHERE user_id = ?').run(userId).changes;
    const recoveryCodes = this.db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').run(userId).changes;
    this.db.prepare('UPDATE users SET second_factor_failures = 0 WHERE id = ?').run(userId);
    this.deletePendingOf(userId);
    return { totp, credentials, recoveryCodes };
  }

  /** Counts a wrong code; at lockAfter the account's sign-in lock is set and the count starts again. */
  recordFailure(userId: string, lockAfter: number, at: string): { failures: number; locked: boolean } {
    this.db.prepare('UPDATE users SET second_factor_failures = second_factor_failures + 1 WHERE id = ?').run(userId);
    const failures = this.db.prepare('SELECT second_factor_failures FROM users WHERE id = ?').pluck().get(userId) as number;
    if (failures < lockAfter) return { failures, locked: false };
    this.db.prepare('UPDATE users SET locked_at = coalesce(locked_at, ?), second_factor_failures = 0 WHERE id = ?').run(at, userId);
    return { failures, locked: true };
  }

  recordSuccess(userId: string): void {
    this.db.prepare('UPDATE users SET second_factor_failures = 0 WHERE id = ?').run(userId);
  }

  insertPending(p: Omit<PendingSignInRow, 'challenge'>): void {
    this.db.prepare('INSERT INTO pending_sign_ins (id_hash, user_id, purpose, client, created_at) VALUES (?, ?, ?, ?, ?)').run(p.idHash, p.userId, p.purpose, p.client, p.createdAt);
  }

  pending(idHash: Buffer): PendingSignInRow | undefined {
    const r = this.db.prepare('SELECT * FROM pending_sign_ins WHERE id_hash = ?').get(idHash) as
      | { id_hash: Buffer; user_id: string; purpose: 'verify' | 'enrol'; client: string | null; created_at: string; challenge: string | null }
      | undefined;
    return r && { idHash: r.id_hash, userId: r.user_id, purpose: r.purpose, client: r.client, createdAt: r.created_at, challenge: r.challenge };
  }

  setChallenge(idHash: Buffer, challenge: string | null): void {
    this.db.prepare('UPDATE pending_sign_ins SET challenge = ? WHERE id_hash = ?').run(challenge, idHash);
  }

  deletePending(idHash: Buffer): void {
    this.db.prepare('DELETE FROM pending_sign_ins WHERE id_hash = ?').run(idHash);
  }

  deletePendingOf(userId: string): void {
    this.db.prepare('DELETE FROM pending_sign_ins WHERE user_id = ?').run(userId);
  }

  deletePendingOlderThan(at: string): void {
    this.db.prepare('DELETE FROM pending_sign_ins WHERE created_at < ?').run(at);
  }
}

interface RawCredential {
  id: string;
  user_id: string;
  public_key: Buffer;
  counter: number;
  transports: string | null;
  created_at: string;
  last_used_at: string | null;
}

const toCredential = (r: RawCredential): WebAuthnCredentialRow => ({
  id: r.id,
  userId: r.user_id,
  publicKey: r.public_key,
  counter: r.counter,
  transports: r.transports ? (JSON.parse(r.transports) as string[]) : [],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});
