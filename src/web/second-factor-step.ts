import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { nextStep } from '../services/second-factor-policy.js';
import type { Vault } from '../services/vault.js';
import type { PendingSignInRow } from '../storage/second-factor-repo.js';
import type { UserRow } from '../storage/users-repo.js';
import { cookieName, endSession, startSession } from './sessions.js';

/**
 * The step between a right password and a session. The cookie names a
 * pending sign-in row (only its SHA-256 is stored); it opens nothing but the
 * second-factor pages, and lasts PENDING_MS. The session, with its own new id,
 * is made only when the second factor has been passed (or enrolled).
 */
export const PENDING_COOKIE = 'mnv_2fa';
export const PENDING_MS = 5 * 60_000;

const hashId = (id: string) => createHash('sha256').update(id).digest();
// Path '/' (not '/login'), so the cookie can take the `__Host-` prefix as the session cookie does.
const cookieOptions = (secure: boolean) => ({ httpOnly: true, secure, sameSite: 'strict' as const, path: '/' });

/** After the password: a session at once when no second factor applies, otherwise the second-factor page. */
export function afterPassword(vault: Vault, req: Request, res: Response, user: UserRow, client: string | null, secure: boolean): void {
  const step = nextStep(vault, user);
  endSession(vault, res, secure);
  dropPending(vault, req, res, secure);
  if (step === 'none') {
    startSession(vault, res, user, client, secure);
    return void res.redirect(303, '/');
  }
  const id = randomBytes(32).toString('base64url');
  const at = vault.clock.now();
  vault.secondFactor.deletePendingOlderThan(new Date(at.getTime() - PENDING_MS).toISOString());
  vault.secondFactor.insertPending({ idHash: hashId(id), userId: user.id, purpose: step, client, createdAt: at.toISOString() });
  res.cookie(cookieName(PENDING_COOKIE, secure), id, cookieOptions(secure));
  res.redirect(303, step === 'enrol' ? '/login/enrol' : '/login/second-factor');
}

export interface Pending {
  row: PendingSignInRow;
  user: UserRow;
}

/** The pending sign-in named by the cookie, if it is fresh and its user may still sign in. */
export function loadPending(vault: Vault, req: Request, secure: boolean): Pending | null {
  const id = (req.cookies as Record<string, string> | undefined)?.[cookieName(PENDING_COOKIE, secure)];
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  const row = vault.secondFactor.pending(hashId(id));
  if (!row) return null;
  const user = vault.users.byId(row.userId);
  if (!user || user.disabledAt || user.lockedAt || vault.clock.now().getTime() - Date.parse(row.createdAt) >= PENDING_MS) {
    vault.secondFactor.deletePending(row.idHash);
    return null;
  }
  return { row, user };
}

export function dropPending(vault: Vault, req: Request, res: Response, secure: boolean): void {
  const id = (req.cookies as Record<string, string> | undefined)?.[cookieName(PENDING_COOKIE, secure)];
  if (typeof id === 'string' && id.length > 0 && id.length <= 64) vault.secondFactor.deletePending(hashId(id));
  res.clearCookie(cookieName(PENDING_COOKIE, secure), cookieOptions(secure));
}

/** The second factor is passed: the pending sign-in ends and a session with a new id begins. */
export function completeSignIn(vault: Vault, req: Request, res: Response, pending: Pending, secure: boolean): void {
  dropPending(vault, req, res, secure);
  endSession(vault, res, secure);
  startSession(vault, res, pending.user, pending.row.client, secure);
}
