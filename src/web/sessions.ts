import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { userView, type UserView } from '../domain/users.js';
import type { SignInSessions } from '../services/sign-in-sessions.js';

export const SESSION_COOKIE = 'mnv_session';
export const PRE_CSRF_COOKIE = 'mnv_pre';

/**
 * The cookie's name as sent. Over HTTPS it takes the `__Host-` prefix: the
 * browser then accepts it only with Secure, Path=/ and no Domain, so another
 * host on the LAN (or an HTTP page) cannot plant or overwrite it. Plain HTTP
 * (development on loopback only) cannot carry a Secure cookie, so the bare name.
 */
export const cookieName = (base: string, secure: boolean): string => (secure ? `__Host-${base}` : base);
export const IDLE_MS = 15 * 60_000;
export const ABSOLUTE_MS = 8 * 3600_000;
/** Sessions one account may hold at once; a new sign-in ends the oldest beyond this. */
export const MAX_SESSIONS_PER_USER = 5;

export interface SessionState {
  idHash: Buffer;
  /** The signed-in account without its password hash: the session is visible to every template. */
  user: UserView;
  csrfToken: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    session?: SessionState;
    csrfToken?: string;
    requestId?: string;
    sessionExpired?: boolean;
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest();

const cookieOptions = (secure: boolean) => ({ httpOnly: true, secure, sameSite: 'strict' as const, path: '/' });

/**
 * The idle and absolute limits. A stored time in the future means the clock
 * was stepped back since it was written; the session then ends, so a
 * backward step cannot stretch either limit.
 */
function withinLimits(createdAt: number, lastSeenAt: number, now: number): boolean {
  if (createdAt > now || lastSeenAt > now) return false;
  return now - lastSeenAt < IDLE_MS && now - createdAt < ABSOLUTE_MS;
}

/**
 * Loads the server-side session named by the cookie. Sessions end after 15
 * minutes idle or 8 hours in all; a disabled user's session ends at once.
 */
export function loadSession(signIns: SignInSessions, secure: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = (req.cookies as Record<string, string> | undefined)?.[cookieName(SESSION_COOKIE, secure)];
    if (typeof id === 'string' && id.length > 0 && id.length <= 64) {
      const idHash = hashId(id);
      const found = signIns.session(idHash);
      const row = found?.row;
      const now = signIns.now().getTime();
      const user = found?.user;
      if (row && user && !user.disabledAt && withinLimits(Date.parse(row.createdAt), Date.parse(row.lastSeenAt), now)) {
        // Skipped (tried again on a later request) while another process holds the write lock, and while
        // the storage takes no write (full, read-only): a page that only shows data is still served.
        if (now - Date.parse(row.lastSeenAt) > 30_000) signIns.touch(idHash, new Date(now));
        res.locals.session = { idHash, user: userView(user), csrfToken: row.csrfToken };
        res.locals.csrfToken = row.csrfToken;
      } else {
        if (row) signIns.end(idHash);
        res.locals.sessionExpired = true;
        res.clearCookie(cookieName(SESSION_COOKIE, secure), cookieOptions(secure));
      }
    }
    if (!res.locals.csrfToken) {
      // Before sign-in (the sign-in form, self-intake): a token tied to a cookie (double submit).
      let pre = (req.cookies as Record<string, string> | undefined)?.[cookieName(PRE_CSRF_COOKIE, secure)];
      if (typeof pre !== 'string' || !/^[A-Za-z0-9_-]{43}$/u.test(pre)) {
        pre = randomBytes(32).toString('base64url');
        res.cookie(cookieName(PRE_CSRF_COOKIE, secure), pre, cookieOptions(secure));
      }
      res.locals.csrfToken = pre;
    }
    next();
  };
}

/**
 * A new session with a new id (never the one the browser came with: no
 * fixation). Expired sessions of everyone are deleted, and the account keeps
 * at most MAX_SESSIONS_PER_USER (the oldest end).
 */
export function startSession(signIns: SignInSessions, res: Response, user: UserView, client: string | null, secure: boolean): void {
  const id = randomBytes(32).toString('base64url');
  const now = signIns.now();
  const at = now.toISOString();
  signIns.start(
    { idHash: hashId(id), userId: user.id, csrfToken: randomBytes(32).toString('base64url'), client, createdAt: at, lastSeenAt: at },
    { idleBefore: new Date(now.getTime() - IDLE_MS).toISOString(), createdBefore: new Date(now.getTime() - ABSOLUTE_MS).toISOString(), keep: MAX_SESSIONS_PER_USER },
  );
  res.cookie(cookieName(SESSION_COOKIE, secure), id, cookieOptions(secure));
}

export function endSession(signIns: SignInSessions, res: Response, secure: boolean): void {
  if (res.locals.session) signIns.end(res.locals.session.idHash);
  res.clearCookie(cookieName(SESSION_COOKIE, secure), cookieOptions(secure));
}

/** Every state-changing request carries the token: a form field or the X-CSRF-Token header. */
export function checkCsrf(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
  const expected = res.locals.csrfToken ?? '';
  const ok = typeof sent === 'string' && sent.length === expected.length && expected.length > 0 && timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (ok) return next();
  res.status(403);
  next(Object.assign(new Error('csrf'), { status: 403, csrf: true }));
}
