import type { Actor } from '../domain/audit-events.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import { writeTransaction } from '../storage/database.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import type { Vault } from './vault.js';

export const COMPANY_NAME_KEY = 'company_name';
export const COMPANY_NAME_UNSET = '（会社名未設定）';
export const COMPANY_NAME_MAX = 100;

/** The company name printed on every report, or 「（会社名未設定）」. */
export function companyName(vault: Pick<Vault, 'meta'>): string {
  return vault.meta.get(COMPANY_NAME_KEY) ?? COMPANY_NAME_UNSET;
}

/** Sets the company name (an admin's setting); the change and its audit event commit together. */
export function setCompanyName(vault: Pick<Vault, 'db' | 'meta' | 'audit'>, actor: Actor, input: string, client: string | null): string {
  const unsafe = unsafeTextProblem('会社名', edgeSpaceTrimmed(input));
  if (unsafe !== null) throw new AppError('invalid', unsafe);
  const name = normaliseText(input).replace(/\s+/gu, ' ').trim();
  if (name.length === 0 || name.length > COMPANY_NAME_MAX) {
    throw new AppError('invalid', `会社名は1〜${COMPANY_NAME_MAX}文字で入力してください。`);
  }
  if (/[\p{Cc}\p{Cf}]/u.test(name) || looksLikeNumber(name)) {
    throw new AppError('invalid', '会社名に使えない文字（制御文字や番号のような数字の並び）が含まれています。会社名だけを入力してください。');
  }
  const before = companyName(vault);
  writeTransaction(vault.db, () => {
    vault.meta.set(COMPANY_NAME_KEY, name);
    vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: COMPANY_NAME_KEY, before, after: name } });
  });
  return name;
}
