import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { nextStep } from '../services/second-factor-policy.js';
import type { UserRow } from '../domain/users.js';
import type { PendingSignInRow, SignInSessions } from '../services/sign-in-sessions.js';
import type { Vault } from '../services/vault.js';
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
export function afterPassword(vault: Pick<Vault, 'meta' | 'secondFactor'>, signIns: SignInSessions, req: Request, res: Response, user: UserRow, client: string | null, secure: boolean): void {
  const step = nextStep(vault, user);
  endSession(signIns, res, secure);
  dropPending(signIns, req, res, secure);
  if (step === 'none') {
    startSession(signIns, res, user, client, secure);
    return void res.redirect(303, '/');
  }
  const id = randomBytes(32).toString('base64url');
  const at = signIns.now();
  signIns.startPending({ idHash: hashId(id), userId: user.id, purpose: step, client, createdAt: at.toISOString() }, new Date(at.getTime() - PENDING_MS).toISOString());
  res.cookie(cookieName(PENDING_COOKIE, secure), id, cookieOptions(secure));
  res.redirect(303, step === 'enrol' ? '/login/enrol' : '/login/second-factor');
}

export interface Pending {
  row: PendingSignInRow;
  user: UserRow;
}

/** The pending sign-in named by the cookie, if it is fresh and its user may still sign in. */
export function loadPending(signIns: SignInSessions, req: Request, secure: boolean): Pending | null {
  const id = (req.cookies as Record<string, string> | undefined)?.[cookieName(PENDING_COOKIE, secure)];
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  const found = signIns.pending(hashId(id));
  if (!found) return null;
  const { row, user } = found;
  if (!user || user.disabledAt || user.lockedAt || signIns.now().getTime() - Date.parse(row.createdAt) >= PENDING_MS) {
    signIns.endPending(row.idHash);
    return null;
  }
  return { row, user };
}

export function dropPending(signIns: SignInSessions, req: Request, res: Response, secure: boolean): void {
  const id = (req.cookies as Record<string, string> | undefined)?.[cookieName(PENDING_COOKIE, secure)];
  if (typeof id === 'string' && id.length > 0 && id.length <= 64) signIns.endPending(hashId(id));
  res.clearCookie(cookieName(PENDING_COOKIE, secure), cookieOptions(secure));
}

/** The second factor is passed: the pending sign-in ends and a session with a new id begins. */
export function completeSignIn(signIns: SignInSessions, req: Request, res: Response, pending: Pending, secure: boolean): void {
  dropPending(signIns, req, res, secure);
  endSession(signIns, res, secure);
  startSession(signIns, res, pending.user, pending.row.client, secure);
}
