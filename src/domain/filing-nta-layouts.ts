/**
 * Where each 法定調書 kind keeps its items, as 0-based indexes (項番 − 1).
 *
 * Confirmed from the published 記録要領: items 1–11 of every record (see
 * filing-nta-record.ts), item 12 (支払を受ける者の住所又は居所) of the 源泉徴収票,
 * and the 資料識別コード of each kind (375, 316, 309, 313 in 国税庁「光ディスク等
 * により提出できる法定調書・レコードの内容及び記録要領」; 315 for the
 * 給与支払報告書 in the municipalities' 光ディスク等提出データ仕様).
 *
 * NOT confirmed against the 記録要領 itself — taken from public implementations
 * of the eLTAX・e-Tax 統一 CSV and from the order of the printed forms — are the
 * positions past item 14, in particular every number item. docs/filing-formats.md
 * lists them item by item. Each layout therefore fixes its exact item count and
 * checks further items (生年月日 as a real 和暦 date, フリガナ as kana, the
 * dependant 区分, 作成区分) so that a file laid out otherwise is refused by line
 * and item rather than filled in the wrong place.
 */
import type { DependantSlot, NtaLayout } from './filing-nta-record.js';

const slot = (label: string, base: number): DependantSlot => ({ label, kana: base, name: base + 1, class: base + 2, number: base + 3 });
/** `count` slots of four items each from `base`, labelled `label1`, `label2`, … as on the form. */
const slots = (label: string, count: number, base: number): DependantSlot[] => Array.from({ length: count }, (_, i) => slot(`${label}${i + 1}`, base + 4 * i));

/**
 * 給与所得の源泉徴収票 / 給与支払報告書（個人別明細書）of 令和2年分〜令和6年分
 * (filing-nta-versions.ts: a later 年分 is not read with this table): 144 items.
 * 14 氏名, 44–47 生年月日（元号・年・月・日）, 94 提出義務者の個人番号又は法人番号,
 * 95 受給者の個人番号, 96–99 控除対象配偶者（フリガナ・氏名・区分・個人番号）,
 * 100–115 控除対象扶養親族1–4, 116–131 16歳未満の扶養親族1–4 (each フリガナ・
 * 氏名・区分・個人番号), 132–133 5人目以降, 137 受給者のフリガナ, 138 受給者番号,
 * 139 提出先市町村コード, 144 作成区分 (1-based 項番).
 */
const salaryItems = {
  fieldCount: 144,
  abroad: 12,
  name: { index: 13, label: '支払を受ける者の氏名' },
  kana: 136,
  employeeCode: 137,
  birth: { era: 43, year: 44, month: 45, day: 46 },
  number: { index: 94, label: '支払を受ける者の個人番号', payee: false },
  dependants: [slot('控除対象配偶者', 95), ...slots('控除対象扶養親族', 4, 99), ...slots('16歳未満の扶養親族', 4, 115)],
  overflow: [
    { index: 131, label: '5人目以降の控除対象扶養親族' },
    { index: 132, label: '5人目以降の16歳未満の扶養親族' },
  ],
  checks: [
    { index: 138, name: '提出先市町村コード', pattern: /^(\d{6})?$/u, expected: '空欄か6桁の地方公共団体コードが必要です。' },
    { index: 143, name: '作成区分', pattern: /^[012]$/u, expected: '0（国税のみ）、1（地方税のみ）または2（両方）が必要です。' },
  ],
} as const;

export const SALARY_SLIP_LAYOUT: NtaLayout = {
  code: '375',
  label: '給与所得の源泉徴収票',
  correction: { name: '訂正表示', values: ['0', '1'] },
  ...salaryItems,
};

export const SALARY_REPORT_LAYOUT: NtaLayout = {
  code: '315',
  label: '給与支払報告書（個人別明細書）',
  // eLTAX writes 提出区分 here: 0 新規, 1 追加, 2 訂正, 3 取消.
  correction: { name: '提出区分', values: ['0', '1', '2', '3'] },
  ...salaryItems,
};

/**
 * 退職所得の源泉徴収票: 32 items. 12 住所, 13 国外住所表示, 14 氏名, 15 役職名,
 * 16 支払金額, 17 源泉徴収税額, 18–19 特別徴収税額（市町村民税・道府県民税）,
 * 20 退職所得控除額, 21 勤続年数, 22–25 就職年月日, 26–29 退職年月日, 30 摘要,
 * 31 支払を受ける者の個人番号, 32 提出義務者の個人番号又は法人番号. The form
 * carries neither フリガナ nor 生年月日, so the merge matches by name.
 */
export const RETIREMENT_SLIP_LAYOUT: NtaLayout = {
  code: '316',
  label: '退職所得の源泉徴収票',
  fieldCount: 32,
  correction: { name: '訂正表示', values: ['0', '1'] },
  abroad: 12,
  name: { index: 13, label: '支払を受ける者の氏名' },
  number: { index: 30, label: '支払を受ける者の個人番号', payee: false },
  checks: [
    { index: 20, name: '勤続年数', pattern: /^\d{0,2}$/u, expected: '空欄か2桁以内の数字（年数）が必要です。' },
    { index: 21, name: '就職年月日（元号）', pattern: /^[1-5]?$/u, expected: '空欄か元号の区分（1〜5）が必要です。' },
    { index: 25, name: '退職年月日（元号）', pattern: /^[1-5]?$/u, expected: '空欄か元号の区分（1〜5）が必要です。' },
  ],
};

/**
 * 報酬、料金、契約金及び賞金の支払調書: 23 items. 12 住所又は所在地, 13 国外住所表示,
 * 14 氏名又は名称, 15 区分, 16 細目, 17 支払金額, 18 未払金額, 19 源泉徴収税額,
 * 20 未徴収税額, 21 摘要, 22 支払を受ける者の個人番号又は法人番号, 23 提出義務者の
 * 個人番号又は法人番号.
 */
export const FEES_LAYOUT: NtaLayout = {
  code: '309',
  label: '報酬、料金、契約金及び賞金の支払調書',
  fieldCount: 23,
  correction: { name: '訂正表示', values: ['0', '1'] },
  abroad: 12,
  name: { index: 13, label: '支払を受ける者の氏名又は名称' },
  number: { index: 21, label: '支払を受ける者の個人番号又は法人番号', payee: true },
  checks: [
    { index: 16, name: '支払金額', pattern: /^\d*$/u, expected: '空欄か半角数字の金額が必要です。' },
    { index: 18, name: '源泉徴収税額', pattern: /^\d*$/u, expected: '空欄か半角数字の金額が必要です。' },
  ],
};

/**
 * 不動産の使用料等の支払調書: 32 items. 12 住所又は所在地, 13 国外住所表示,
 * 14 氏名又は名称, 15 区分, 16 物件の所在地, 17 細目, 18 計算の基礎, 19 支払金額,
 * 20 未払金額, 21–23 あっせんをした者の住所・国外住所表示・氏名又は名称,
 * 24 あっせん手数料, 25–28 契約等の年月日, 29 摘要, 30 支払を受ける者の個人番号
 * 又は法人番号, 31 あっせんをした者の法人番号, 32 提出義務者の個人番号又は法人番号.
 */
export const REAL_ESTATE_LAYOUT: NtaLayout = {
  code: '313',
  label: '不動産の使用料等の支払調書',
  fieldCount: 32,
  correction: { name: '訂正表示', values: ['0', '1'] },
  abroad: 12,
  name: { index: 13, label: '支払を受ける者の氏名又は名称' },
  number: { index: 29, label: '支払を受ける者の個人番号又は法人番号', payee: true },
  checks: [
    { index: 18, name: '支払金額', pattern: /^\d*$/u, expected: '空欄か半角数字の金額が必要です。' },
    { index: 21, name: 'あっせんをした者の国外住所表示', pattern: /^[01]?$/u, expected: '空欄、0（国内）または1（国外）が必要です。' },
    { index: 24, name: '契約等の年月日（元号）', pattern: /^[1-5]?$/u, expected: '空欄か元号の区分（1〜5）が必要です。' },
  ],
};
