/**
 * The year view's answer per person: whether a number is there for the
 * filing's purpose, and if not, why (未提供理由 as the register knows it). A
 * number may be written on a filing only for a purpose notified to the person
 * (番号法9条・19条, 個人情報保護法21条: 利用目的の通知), and the handler must have
 * done the 本人確認 when taking it (番号法16条); a 法人 payee files under its
 * 法人番号 instead.
 */
export const FILING_YEAR_STATES = ['ready', 'corporate', 'missing', 'not_provided', 'not_notified', 'unchecked', 'disposed'] as const;
export type FilingYearState = (typeof FILING_YEAR_STATES)[number];

export const isFilingYearState = (s: string): s is FilingYearState => (FILING_YEAR_STATES as readonly string[]).includes(s);

/** States in which the filing can carry the person's number (or 法人番号). */
export const READY_STATES: readonly FilingYearState[] = ['ready', 'corporate'];

export const FILING_YEAR_STATE_LABEL: Record<FilingYearState, string> = {
  ready: '番号あり（利用目的の通知・本人確認済み）',
  corporate: '法人番号あり（法人の支払先）',
  missing: '未取得（個人番号も法人番号も登録されていません）',
  not_provided: '未提供（本人から提供を受けられなかった記録があります）',
  not_notified: '目的未通知（この書類の利用目的を通知していません）',
  unchecked: '本人確認未了',
  disposed: '廃棄済（番号は削除・廃棄されています）',
};
