/**
 * 提供・提出の記録 of a filing handover: after a merged filing file has left the
 * appliance, the handler records to whom it went (the 税務署, 市区町村, 年金事務所
 * by name, e-Gov, or the 税理士・社労士 as 委託先), the day it was submitted and
 * the receipt number, and separately that the local copy was deleted.
 *
 * Sources (docs/filing-season.md, docs/legal-sources.md): giving a number to a
 * 行政機関 or 委託先 is 提供 (番号法19条); the guideline 事業者編 安全管理措置 C-b
 * asks for 取扱状況の記録 including 提出日 and destination, and E-c for the
 * deletion of a file taken out of the 管理区域 to be confirmed and recorded.
 * The stricter reading is taken: a date in the future or before the merge is
 * refused, a receipt number is required for every electronic submission to a
 * 行政機関, and no free text may hold a 12-digit run.
 */
import { japanDate, parseDate } from './dates.js';
import { looksLikeNumber } from './digits.js';
import type { FilingKind } from './filing.js';
import type { ProvisionChannel, ProvisionDestination } from './provision.js';
import type { PurposeCode } from './purposes.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from './text-safety.js';

/** The kinds' names as an HR office knows them (the codecs carry the same as their label). */
export const FILING_KIND_LABEL: Record<FilingKind, string> = {
  nta_salary_slip: '給与所得の源泉徴収票',
  nta_retirement_slip: '退職所得の源泉徴収票',
  nta_fees: '報酬、料金、契約金及び賞金の支払調書',
  nta_real_estate: '不動産の使用料等の支払調書',
  eltax_salary_report: '給与支払報告書（個人別明細書）',
  egov_acquisition: '被保険者資格取得届',
  egov_loss: '被保険者資格喪失届',
  appliance_csv: '装置のCSV（給与ソフトへの取り込み用）',
};

export const isFilingKind = (s: string): s is FilingKind => Object.hasOwn(FILING_KIND_LABEL, s);

/**
 * Who a kind of filing is about in a year, for the year view: employees paid
 * during the year (leavers of the year included) or payees paid during it, and
 * the 利用目的 the number must have been notified for. The 資格取得・喪失届 are
 * filed when an event happens, not once a year, and the appliance's CSV is no
 * filing: they have no year view.
 */
export const YEARLY_FILING_SCOPE: Partial<Record<FilingKind, { set: 'employees' | 'payees'; purpose: PurposeCode }>> = {
  nta_salary_slip: { set: 'employees', purpose: 'withholding_slip' },
  eltax_salary_report: { set: 'employees', purpose: 'salary_payment_report' },
  nta_retirement_slip: { set: 'employees', purpose: 'retirement_income_slip' },
  nta_fees: { set: 'payees', purpose: 'payment_record_fees' },
  nta_real_estate: { set: 'payees', purpose: 'payment_record_real_estate' },
};

export const YEARLY_FILING_KINDS = Object.keys(YEARLY_FILING_SCOPE) as FilingKind[];

/** Submissions without a 受付番号: paper, media handed in, or a file given to a 委託先. */
const NO_RECEIPT_CHANNELS: readonly ProvisionChannel[] = ['media', 'mail', 'in_person'];
const ENTRUSTEES: readonly ProvisionDestination[] = ['tax_accountant', 'labour_consultant'];

/** Whether a submission by this channel to this destination must carry a receipt number. */
export const receiptRequired = (destination: ProvisionDestination, channel: ProvisionChannel): boolean => !NO_RECEIPT_CHANNELS.includes(channel) && !ENTRUSTEES.includes(destination);

export const DESTINATION_NAME_MAX = 60;
export const RECEIPT_NO_MAX = 40;

export interface SubmissionInput {
  destinationName?: string | undefined;
  submittedOn?: string | undefined;
  receiptNo?: string | undefined;
}

export interface Submission {
  destinationName: string;
  submittedOn: string;
  receiptNo: string | null;
}

/** What the handover being recorded says about itself. */
export interface HandoverFacts {
  destination: ProvisionDestination;
  channel: ProvisionChannel;
  /** ISO instant of the merge. */
  mergedAt: string;
}

/**
 * Checks a submission record against its handover and today; returns the
 * cleaned values, or the problem per field (each a sentence saying what was
 * wrong and what to do).
 */
export function checkSubmission(input: SubmissionInput, h: HandoverFacts, now: Date): { ok: true; value: Submission } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const name = normaliseText(edgeSpaceTrimmed(input.destinationName ?? '')).trim();
  const unsafeName = unsafeTextProblem('提出先の名称', edgeSpaceTrimmed(input.destinationName ?? ''));
  if (unsafeName) errors.destinationName = unsafeName;
  else if (name === '') errors.destinationName = '提出先の名称（例: 麹町税務署、千代田区、e-Gov、○○税理士事務所）を入れてください。';
  else if (name.length > DESTINATION_NAME_MAX) errors.destinationName = `提出先の名称は${DESTINATION_NAME_MAX}文字以内にしてください。`;
  else if (looksLikeNumber(name)) errors.destinationName = '提出先の名称に個人番号のような12桁の数字は入れられません。名称だけを入れてください。';

  const submittedOn = parseDate(input.submittedOn ?? '');
  const mergedOn = japanDate(new Date(h.mergedAt));
  if (!submittedOn) errors.submittedOn = '提出日を 2027-01-31 や 令和9年1月31日 の形で入れてください。';
  else if (submittedOn < mergedOn) errors.submittedOn = '提出日がファイルを作った日（番号を入れた日）より前です。実際に提出した日を入れてください。';
  else if (submittedOn > japanDate(now)) errors.submittedOn = '提出日が未来の日付です。提出した後に記録してください。';

  const rawReceipt = input.receiptNo ?? '';
  const receipt = rawReceipt.normalize('NFKC').trim();
  const unsafeReceipt = unsafeTextProblem('受付番号', edgeSpaceTrimmed(rawReceipt));
  if (unsafeReceipt) errors.receiptNo = unsafeReceipt;
  else if (receipt === '') {
    if (receiptRequired(h.destination, h.channel)) errors.receiptNo = '受付番号を入れてください（e-Tax・eLTAX・e-Govの受付結果（受信通知）や到達番号に表示されます）。';
  } else if (receipt.length > RECEIPT_NO_MAX || !/^[0-9A-Za-z][0-9A-Za-z-]*$/u.test(receipt)) {
    errors.receiptNo = `受付番号は英数字とハイフンだけで${RECEIPT_NO_MAX}文字以内にしてください。`;
  } else if (looksLikeNumber(receipt)) {
    errors.receiptNo = '受付番号に個人番号のような12桁の数字が含まれています。受付通知に表示された受付番号を、区切りを入れずにそのまま入れてください。';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { destinationName: name, submittedOn: submittedOn!, receiptNo: receipt === '' ? null : receipt } };
}

/** The year a year view or report may ask for: 2016 (the first year of numbers on filings) to this year. */
export function checkFilingYear(input: string | undefined, now: Date): number | undefined {
  const s = (input ?? '').normalize('NFKC').trim();
  const year = /^[0-9]{4}$/u.test(s) ? Number(s) : NaN;
  const current = Number(japanDate(now).slice(0, 4));
  return year >= 2016 && year <= current ? year : undefined;
}
