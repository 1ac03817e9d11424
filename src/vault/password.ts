import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';

/** Sign-in passwords: scrypt, stored as `scrypt$N$r$p$salt$hash` (base64); a hash carries its own cost. */
export interface PasswordCost {
  N: number;
  r: number;
  p: number;
}

/** The cost of every password hash the appliance makes. */
export const PRODUCTION_PASSWORD_COST: Readonly<PasswordCost> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/** A cost only the test runner may ask for: the suite makes hundreds of hashes, each of which costs ~100 ms at production's. */
export const TEST_PASSWORD_COST: Readonly<PasswordCost> = Object.freeze({ N: 2 ** 10, r: 8, p: 1 });

/**
 * The cost of new password hashes: production's, unless the test runner (NODE_ENV=test) sets
 * MNVAULT_PASSWORD_COST=test. Any other use of that variable is refused with 'invalid', so no
 * deployment can weaken its hashes. Verifying reads the cost from the stored hash.
 */
export function passwordCost(env: NodeJS.ProcessEnv = process.env): Readonly<PasswordCost> {
  const asked = env.MNVAULT_PASSWORD_COST;
  if (asked === undefined) return PRODUCTION_PASSWORD_COST;
  if (asked === 'test' && env.NODE_ENV === 'test') return TEST_PASSWORD_COST;
  throw new AppError('invalid', '環境変数の設定に誤りがあります:\n  MNVAULT_PASSWORD_COST: テストの実行（NODE_ENV=test）でしか使えません。設定から削除してください。');
}

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 16 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: Secret<string>, cost: Readonly<PasswordCost> = passwordCost()): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.expose(), salt, cost.N, cost.r, cost.p);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: Secret<string>, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password.expose(), Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** At least 12 characters, so a stolen hash costs real work to guess. */
export function checkPasswordRules(input: string | Secret<string>): string | undefined {
  const password = typeof input === 'string' ? input : input.expose();
  if ([...password].length < 12) return 'パスワードは12文字以上にしてください。';
  if (/^(.)\1+$/u.test(password)) return 'パスワードに同じ文字だけの並びは使えません。';
  return undefined;
}

/** Whether a new password and its confirmation are the same, read here so the caller never handles the text. */
export function samePassword(a: Secret<string>, b: Secret<string>): boolean {
  return a.expose() === b.expose();
}
