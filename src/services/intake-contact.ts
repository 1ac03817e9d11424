import type { Actor } from '../domain/audit-events.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import { writeTransaction } from '../storage/database.js';
import type { Vault } from './vault.js';

export const INTAKE_CONTACT_KEY = 'intake_contact';
export const INTAKE_CONTACT_MAX = 120;

/** Who an employee asks about the self-intake page and the slips (部署・担当・電話), or null when unset. */
export function intakeContact(vault: Pick<Vault, 'meta'>): string | null {
  return vault.meta.get(INTAKE_CONTACT_KEY) ?? null;
}

/** Sets the contact printed on slips and shown on the self-intake page; audited as a settings change. */
export function setIntakeContact(vault: Pick<Vault, 'db' | 'meta' | 'audit'>, actor: Actor, input: string, client: string | null): string {
  const unsafe = unsafeTextProblem('問い合わせ先', edgeSpaceTrimmed(input));
  if (unsafe !== null) throw new AppError('invalid', unsafe);
  const contact = normaliseText(input).replace(/\s+/gu, ' ').trim();
  if (contact.length === 0 || contact.length > INTAKE_CONTACT_MAX) throw new AppError('invalid', `問い合わせ先は1〜${INTAKE_CONTACT_MAX}文字で入力してください（例: 人事部 山田 内線123）。`);
  if (looksLikeNumber(contact)) throw new AppError('invalid', '問い合わせ先に個人番号のような12桁の数字は入れられません。');
  const before = intakeContact(vault);
  writeTransaction(vault.db, () => {
    vault.meta.set(INTAKE_CONTACT_KEY, contact);
    vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: INTAKE_CONTACT_KEY, before, after: contact } });
  });
  return contact;
}
