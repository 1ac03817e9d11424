import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../domain/secret.js';

/** Sign-in passwords: scrypt, stored as `scrypt$N$r$p$salt$hash` (base64). */
const COST = { N: 2 ** 15, r: 8, p: 1 };

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 16 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: Secret<string>): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.expose(), salt, COST.N, COST.r, COST.p);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: Secret<string>, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password.expose(), Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** At least 12 characters, so a stolen hash costs real work to guess. */
export function checkPasswordRules(password: string): string | undefined {
  if ([...password].length < 12) return 'パスワードは12文字以上にしてください。';
  if (/^(.)\1+$/u.test(password)) return 'パスワードに同じ文字だけの並びは使えません。';
  return undefined;
}
