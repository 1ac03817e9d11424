import { randomBytes } from 'node:crypto';
import { Secret } from '../domain/secret.js';
import type { UserRow } from '../storage/users-repo.js';
import { recoveryCodeHmac } from '../vault/second-factor-keys.js';
import type { Vault } from './vault.js';

/** The part of the vault `newRecoveryCodes` and `useRecoveryCode` use. */
export type RecoveryCodeStore = Pick<Vault, 'keys' | 'secondFactor' | 'clock'>;

/** Ten codes of 16 characters (80 bits) from an alphabet without look-alikes (no 0/O, 1/I/L). */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function newCode(): string {
  const bytes = randomBytes(16);
  let s = '';
  // 31 symbols: reject bytes >= 248 so each symbol is uniform.
  for (let i = 0; s.length < 16; i++) {
    const b = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (b < 248) s += ALPHABET[b % 31];
  }
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12)}`;
}

/** What a typed code is compared as: upper case, no spaces or dashes, full-width folded. */
export function normaliseRecoveryCode(typed: string): string {
  const s = typed.normalize('NFKC').toUpperCase().replace(/[\s-]+/gu, '');
  return s.length === 16 ? `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12)}` : s;
}

/**
 * New codes replacing the old ones. The caller writes them (inside its
 * transaction, with the audit row) through the returned `store` and shows the
 * plaintext once; only HMACs are kept.
 */
export function newRecoveryCodes(vault: RecoveryCodeStore, user: Pick<UserRow, 'id'>): { codes: Secret<string>[]; store: () => void } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => new Secret(newCode()));
  const hmacs = codes.map((c) => recoveryCodeHmac(vault.keys.pepper, user.id, c));
  return { codes, store: () => vault.secondFactor.replaceRecoveryCodes(user.id, hmacs, vault.clock.now().toISOString()) };
}

/** Marks the code used if it is one of the user's unused codes; call inside a transaction. */
export function useRecoveryCode(vault: RecoveryCodeStore, user: Pick<UserRow, 'id'>, typed: string): boolean {
  const code = normaliseRecoveryCode(typed);
  if (!/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/u.test(code)) return false;
  return vault.secondFactor.useRecoveryCode(user.id, recoveryCodeHmac(vault.keys.pepper, user.id, code), vault.clock.now().toISOString());
}
