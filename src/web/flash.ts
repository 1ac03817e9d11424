import type { Request, Response } from 'express';

/**
 * A one-shot success message for the page a redirect leads to, without changing
 * its URL: a short-lived cookie holding the page's path and a message key from a
 * closed catalogue (M.done), scoped to that path, read and cleared by the page.
 * The key is only ever looked up, never shown, so a forged cookie shows nothing.
 */
const FLASH_COOKIE = 'mnvault-done';
const options = (req: Request, path: string) => ({ httpOnly: true, secure: req.secure, sameSite: 'strict' as const, path });

export function flashDone(req: Request, res: Response, path: string, key: string): void {
  res.cookie(FLASH_COOKIE, `${path} ${key}`, { ...options(req, path), maxAge: 60_000 });
}

/** The key flashed for exactly this path, cleared once read; null when there is none. */
export function takeDone(req: Request, res: Response, path: string): string | null {
  const raw = (req.cookies as Record<string, string> | undefined)?.[FLASH_COOKIE];
  if (typeof raw !== 'string') return null;
  const [forPath, key] = raw.split(' ');
  if (forPath !== path || !key) return null;
  res.clearCookie(FLASH_COOKIE, options(req, path));
  return key;
}

/** The message of a flashed key in its catalogue, or null for none or an unknown key. */
export function doneMessage(catalogue: Readonly<Record<string, string>>, key: string | null): string | null {
  return key !== null && Object.hasOwn(catalogue, key) ? catalogue[key]! : null;
}
