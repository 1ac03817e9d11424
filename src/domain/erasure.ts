import type { NumberState, PersonKind } from './persons.js';
import { addDays, isDue, retentionEnd, type RetentionFacts, type RetentionRule } from './retention.js';

/**
 * Erasure of a person's identifying data (氏名・フリガナ・生年月日・コード・続柄 and
 * the identity-check records) after their number is gone, leaving a 「削除済」
 * tombstone under the same opaque id (docs/erasure.md).
 *
 * The rule, stricter reading:
 * - 番号法20条 and the PPC guideline (事業者編) 第4-3-(3)「削除・廃棄」: the 個人番号 is
 *   deleted once the 事務 has ended and the statutory keeping period has passed.
 *   Erasure comes after that disposal, never instead of it: the number must
 *   have been disposed (廃棄済), so the disposal record exists first.
 * - 個人情報保護法22条 (利用する必要がなくなったときは遅滞なく消去するよう努める): the
 *   other personal data may go once no purpose needs them. A person may hold
 *   several roles (employee, payee, dependant of X) over one record; each
 *   role's documents keep their own period (the same rules as disposal:
 *   retentionEnd, one function), so erasure waits until every role has ended
 *   and the latest of their retention ends has passed in Japan's calendar.
 * - A legal hold (an ongoing procedure) blocks erasure as it blocks disposal.
 */

/** The tombstone shown instead of an erased person's name, everywhere, with the opaque id: 「削除済 #12」. */
export const ERASED_NAME = '削除済';

export function tombstoneName(id: number): string {
  return `${ERASED_NAME} #${id}`;
}

/** One role's retention inputs (the primary role from the persons row, further ones from person_roles). */
export interface RoleRetention {
  role: PersonKind;
  label: string;
  facts: RetentionFacts;
}

export interface ErasureFacts {
  numberState: NumberState | null;
  roles: readonly RoleRetention[];
  held: boolean;
  erased: boolean;
}

export type ErasureVerdict =
  | { ok: true; from: string }
  | { ok: false; reason: string; from: string | null };

/**
 * Whether the person's data may be erased today (YYYY-MM-DD, Japan time), and
 * from when. `from` is the first day erasure is allowed, null while some role
 * has not ended (then no date can be named yet).
 */
export function erasureVerdict(f: ErasureFacts, rules: readonly RetentionRule[], today: string): ErasureVerdict {
  if (f.erased) return { ok: false, reason: 'この人物の個人データは既に削除されています。', from: null };
  let last: string | null = null;
  for (const r of f.roles) {
    const end = retentionEnd(r.facts, rules);
    if (!end) {
      return { ok: false, reason: `役割「${r.label}」がまだ終了していません（退職・取引終了・扶養の異動が記録されていません）。終了を記録し、保管期間が過ぎてから削除できます。`, from: null };
    }
    if (last === null || end.end > last) last = end.end;
  }
  const from = last === null ? today : addDays(last, 1);
  if (f.numberState !== 'disposed') {
    const why = f.numberState === 'held' ? '個人番号をまだ保管しています' : f.numberState === 'not_provided' ? '個人番号の廃棄の記録がありません（未提供）' : '個人番号の記録がありません';
    return { ok: false, reason: `${why}。番号を廃棄（廃棄の提案と承認）してから削除できます（番号法・ガイドラインの削除・廃棄が先です）。`, from };
  }
  if (last !== null && !isDue(last, today)) {
    return { ok: false, reason: `保管期間が ${last} まで続きます。${from} 以降に削除できます。`, from };
  }
  if (f.held) return { ok: false, reason: '廃棄の保留中です。保留を解除してから削除できます。', from };
  return { ok: true, from };
}
