/**
 * 訂正 of a submission record (提出の記録). A record of 提供 (番号法19条) and of
 * its 提出日 is part of the 取扱状況の記録 (guideline 事業者編, 別添 安全管理措置
 * C-b), and a record that can be changed without trace is no record: the first
 * record stays as written, a correction is a new record that names who made it,
 * when and why, and prints beside the original. The corrected values obey the
 * same rules as the first record (checkSubmission); the reason is required, and
 * may not hold a 12-digit run.
 */
import { looksLikeNumber } from './digits.js';
import { checkSubmission, type HandoverFacts, type Submission, type SubmissionInput } from './filing-record.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from './text-safety.js';

export const CORRECTION_REASON_MAX = 200;

export interface CorrectionInput extends SubmissionInput {
  reason?: string | undefined;
}

export interface Correction extends Submission {
  reason: string;
}

/**
 * Checks a correction against its handover, the record in force and today;
 * returns the cleaned values or the problem per field. A correction that
 * changes nothing is refused: it would only add noise to the record.
 */
export function checkCorrection(input: CorrectionInput, h: HandoverFacts, current: Submission, now: Date): { ok: true; value: Correction } | { ok: false; errors: Record<string, string> } {
  const checked = checkSubmission(input, h, now);
  const errors: Record<string, string> = checked.ok ? {} : { ...checked.errors };
  const raw = edgeSpaceTrimmed(input.reason ?? '');
  const reason = normaliseText(raw).trim();
  const unsafe = unsafeTextProblem('訂正の理由', raw);
  if (unsafe) errors.reason = unsafe;
  else if (reason === '') errors.reason = '訂正の理由（例: 受付番号の写し間違い、提出日の誤り）を入れてください。';
  else if (reason.length > CORRECTION_REASON_MAX) errors.reason = `訂正の理由は${CORRECTION_REASON_MAX}文字以内にしてください。`;
  else if (looksLikeNumber(reason)) errors.reason = '訂正の理由に個人番号のような12桁の数字は入れられません。理由だけを書いてください。';
  if (checked.ok && Object.keys(errors).length === 0) {
    const v = checked.value;
    if (v.destinationName === current.destinationName && v.submittedOn === current.submittedOn && v.receiptNo === current.receiptNo) {
      errors.destinationName = '訂正する内容がありません。今の記録と違う値（提出先の名称・提出日・受付番号のどれか）を入れてください。';
    }
  }
  if (!checked.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { ...checked.value, reason } };
}
