import { randomBytes } from 'node:crypto';
import type { UserView } from '../domain/users.js';
import type { TOTP } from 'otpauth';
import { Secret } from '../domain/secret.js';
import type { UserRow } from '../storage/users-repo.js';
import { openTotpSecret, sealTotpSecret } from '../vault/second-factor-keys.js';
import { totpGenerator } from '../vault/totp-key.js';
import type { Vault } from './vault.js';

/** The part of the vault `totpEnrolment`, `matchTotp` and `simulatedAppCode` use. */
export type TotpStore = Pick<Vault, 'vaultId' | 'keys' | 'secondFactor' | 'clock'>;

/** RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30-second steps, one step either side. */
const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;
const ISSUER = 'マイナンバー金庫';

function totpFor(user: Pick<UserRow, 'login'>, secret: Secret<Buffer>): TOTP {
  return totpGenerator(secret, { issuer: ISSUER, label: user.login, algorithm: 'SHA1', digits: DIGITS, period: PERIOD });
}

export interface TotpEnrolment {
  /** otpauth:// URI for the QR code. */
  uri: string;
  /** The secret in base32, for typing into an app by hand. */
  base32: string;
}

/**
 * The secret a user is enrolling (kept sealed, unconfirmed, until a code from
 * it is typed back): made once per user and reused while unconfirmed.
 */
export function totpEnrolment(vault: TotpStore, user: UserView): TotpEnrolment {
  let row = vault.secondFactor.totpOf(user.id);
  // Enrolment pages are reached only by users without a confirmed secret.
  if (row?.confirmedAt) throw new Error('TOTP already confirmed');
  if (!row) {
    const fresh = new Secret(randomBytes(20));
    vault.secondFactor.putPendingTotp(user.id, sealTotpSecret(vault.keys.pepper, vault.vaultId, user.id, fresh), vault.clock.now().toISOString());
    fresh.wipe();
    row = vault.secondFactor.totpOf(user.id)!;
  }
  const secret = openTotpSecret(vault.keys.pepper, vault.vaultId, user.id, row.sealedSecret);
  try {
    const totp = totpFor(user, secret);
    return { uri: totp.toString(), base32: totp.secret.base32 };
  } finally {
    secret.wipe();
  }
}

/**
 * The 30-second step a typed code belongs to (now, or one step either side),
 * or null when it matches none. Only digits count; spaces are dropped.
 */
export function matchTotp(vault: TotpStore, user: UserView, code: string): number | null {
  const row = vault.secondFactor.totpOf(user.id);
  if (!row) return null;
  const token = code.normalize('NFKC').replace(/\s+/gu, '');
  if (!/^\d{6}$/u.test(token)) return null;
  const secret = openTotpSecret(vault.keys.pepper, vault.vaultId, user.id, row.sealedSecret);
  try {
    const timestamp = vault.clock.now().getTime();
    const delta = totpFor(user, secret).validate({ token, timestamp, window: WINDOW });
    return delta === null ? null : Math.floor(timestamp / 1000 / PERIOD) + delta;
  } finally {
    secret.wipe();
  }
}

/**
 * The code an authenticator app would show now for the user's secret (pending
 * or confirmed), or null without one. Only for the simulated devices of
 * development (`serve --simulate-devices`, which production refuses): the demo
 * shows it on the page, as the simulated PIN pad stands in for the real one.
 */
export function simulatedAppCode(vault: TotpStore, user: UserRow): string | null {
  const row = vault.secondFactor.totpOf(user.id);
  if (!row) return null;
  const secret = openTotpSecret(vault.keys.pepper, vault.vaultId, user.id, row.sealedSecret);
  try {
    return totpFor(user, secret).generate({ timestamp: vault.clock.now().getTime() });
  } finally {
    secret.wipe();
  }
}
