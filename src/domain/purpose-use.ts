import type { PersonKind } from './persons.js';
import { findPurpose, type Purpose, type PurposeCode } from './purposes.js';

/**
 * Whether a number may be used (revealed, exported) for a purpose. Three rules,
 * in this order:
 * 1. the purpose concerns one of the person's roles (the primary kind, or a
 *    further role: payee, employee, dependant of X);
 * 2. the purpose was notified to the person (個人情報保護法21条 通知, and 番号法9条:
 *    use only for the 事務 it was collected for; PPC guideline 事業者編 第4-1-(1),
 *    FAQ Q1-14: a purpose is not "added" later without a new notice);
 * 3. the state of a role it concerns still gives rise to it: after 退職 / 取引終了 / 扶養の異動
 *    only the filings of the final year remain (資格喪失届, 退職所得の源泉徴収票,
 *    源泉徴収票, 給与支払報告書, 支払調書, 被扶養者異動届), and only until the last of
 *    their deadlines, 1月31日 of the next year (所得税法226条・225条, 地方税法317条の6).
 * A use refused by rule 3 may go ahead once with an admin's co-approval and a note
 * (the stricter reading: the guideline lets a number be kept only while a 事務 still
 * arises, so a later use is exceptional and must be justified). Rules 1 and 2 have
 * no override: the remedy for 2 is a 利用目的の追加通知.
 */
export const PURPOSES_AFTER_END: readonly PurposeCode[] = [
  'withholding_slip',
  'salary_payment_report',
  'retirement_income_slip',
  'health_pension_insurance',
  'employment_insurance',
  'health_dependant_change',
  'payment_record_fees',
  'payment_record_real_estate',
  'payment_record_real_estate_transfer',
  'payment_record_dividends',
];

export interface PurposeUseFacts {
  kind: PersonKind;
  /** 退職日 / 取引終了日 / 扶養でなくなった日 (or the supporter's 退職日); null while the relationship lasts. */
  endedOn: string | null;
  /** Purpose codes notified to the person. */
  notified: readonly string[];
  /** Roles held beyond the primary one (employee, payee, dependant of X), each with its own end. */
  otherRoles?: readonly { kind: PersonKind; endedOn: string | null }[];
}

export type PurposeRefusal = 'unknown' | 'not_applicable' | 'not_notified' | 'after_end';

export type PurposeVerdict = { allowed: true; purpose: Purpose } | { allowed: false; reason: PurposeRefusal; message: string; coApprovable: boolean };

/** The last day a final-year filing can still arise: 1月31日 of the year after the end. */
export function finalFilingsUntil(endedOn: string): string {
  return `${Number(endedOn.slice(0, 4)) + 1}-01-31`;
}

export const PURPOSE_REFUSAL_LABEL: Record<PurposeRefusal, string> = {
  unknown: '一覧にない利用目的',
  not_applicable: 'この人物の種別には使えない利用目的',
  not_notified: 'この利用目的は本人に通知されていません（利用目的の追加通知が必要）',
  after_end: '退職・取引終了・扶養の異動の後で、この事務はもう生じません（管理者の承認が必要）',
};

/** Decides one use; `today` is the Japan date of the use (YYYY-MM-DD). */
export function purposeUse(facts: PurposeUseFacts, code: string, today: string): PurposeVerdict {
  const purpose = findPurpose(code);
  const no = (reason: PurposeRefusal, coApprovable = false): PurposeVerdict => ({ allowed: false, reason, message: PURPOSE_REFUSAL_LABEL[reason], coApprovable });
  if (!purpose) return no('unknown');
  // The roles the purpose concerns: the primary one and any other the person holds.
  const roles = [{ kind: facts.kind, endedOn: facts.endedOn }, ...(facts.otherRoles ?? [])].filter((r) => (purpose.appliesTo as readonly string[]).includes(r.kind));
  if (roles.length === 0) return no('not_applicable');
  if (!facts.notified.includes(purpose.code)) return no('not_notified');
  const arises = (endedOn: string | null) =>
    endedOn === null || endedOn > today || ((PURPOSES_AFTER_END as readonly string[]).includes(purpose.code) && today <= finalFilingsUntil(endedOn));
  if (!roles.some((r) => arises(r.endedOn))) return no('after_end', true);
  return { allowed: true, purpose };
}

/** The purposes a person's state still offers today (for the choice lists). */
export function purposesOffered(facts: PurposeUseFacts, today: string): Purpose[] {
  return facts.notified.map((c) => purposeUse(facts, c, today)).flatMap((v) => (v.allowed ? [v.purpose] : []));
}
