/**
 * Which edition of a 法定調書 record a file is, chosen by its 年分 (項番11).
 *
 * The 国税庁 and eLTAX records change with the tax reforms: items are added
 * and the number items may move. A codec therefore reads a line only with the
 * item table of the edition its 年分 falls in, and refuses a 年分 whose
 * edition it does not hold or whose number items are not confirmed.
 *
 * 給与所得の源泉徴収票 (375) and 給与支払報告書 (315): the 令和7年度税制改正
 * created the 特定親族特別控除 (所得税法84条の2) and changed the 基礎控除, and
 * the form of the 源泉徴収票 was revised from 令和7年分 (a new box 特定親族特別
 * 控除の額; by vendors' notes, new 区分 values for the 控除対象扶養親族). Payroll
 * vendors announced a change of the e-Tax・eLTAX CSV layout for 令和7年分 in
 * November–December 2025. Where the revised record puts its items, and
 * whether the 特定親族 are named with a 個人番号 in slots of their own, could
 * not be read from the specification (docs/filing-formats.md): that edition
 * has no item table here, so a file of 令和7年分 or later is refused with a
 * message saying so, never filled by the 144-item table of 令和2年分〜令和6年分.
 *
 * 316, 309 and 313 keep one edition for every 令和 年分: no change to them was
 * found in the material for 令和7年分 (not confirmed against the 記録要領).
 */
import { FEES_LAYOUT, REAL_ESTATE_LAYOUT, RETIREMENT_SLIP_LAYOUT, SALARY_REPORT_LAYOUT, SALARY_SLIP_LAYOUT } from './filing-nta-layouts.js';
import type { NtaLayout } from './filing-nta-record.js';

/** An edition whose item positions are not known with certainty: files of its years are refused with `reason`. */
export interface UnconfirmedEdition {
  readonly unconfirmed: string;
}

/** One edition of a kind's record and the 年分 (Western years, inclusive) it is for. */
export interface NtaVersion {
  readonly from: number;
  /** Absent: every later year, until a later edition is known. */
  readonly to?: number;
  /** The edition as a handler knows it, for messages: 「令和2年分〜令和6年分」. */
  readonly edition: string;
  readonly layout: NtaLayout | UnconfirmedEdition;
}

/** A 法定調書 kind: its 法定資料の種類, its name and its editions, oldest first, without gaps or overlaps. */
export interface NtaKind {
  readonly code: string;
  readonly label: string;
  readonly versions: readonly NtaVersion[];
}

export const isUnconfirmed = (layout: NtaLayout | UnconfirmedEdition): layout is UnconfirmedEdition => 'unconfirmed' in layout;

/** 令和 year of a Western year, as the forms write it (元年 for 2019). */
export const reiwaYear = (year: number): string => (year === 2019 ? '令和元年' : `令和${year - 2018}年`);

/** The edition a 年分 falls in, if any. */
export const versionFor = (kind: NtaKind, year: number): NtaVersion | undefined => kind.versions.find((v) => v.from <= year && (v.to === undefined || year <= v.to));

/** The years a kind can be read for, for the refusal of another year: 「令和2年分〜令和6年分」. */
export function readableYears(kind: NtaKind): string {
  const readable = kind.versions.filter((v) => !isUnconfirmed(v.layout));
  return readable.map((v) => `${reiwaYear(v.from)}分${v.to === undefined ? '以降' : `〜${reiwaYear(v.to)}分`}`).join('、');
}

/**
 * The 令和7年分 edition of the 源泉徴収票 / 給与支払報告書 record: refused until
 * its item table is read from the 記録要領 of that year and added here.
 */
const R7_SALARY: UnconfirmedEdition = {
  unconfirmed:
    'この年分の記録は、令和7年度税制改正（特定親族特別控除の創設など）で改められた様式のものです。改正後の様式で番号欄がどの項目にあるかを仕様書でまだ確認できていないため、番号を記入できません（推測で記入すると、別の欄に番号が入るおそれがあります）。このファイルは取り込まずに管理者に連絡してください。改正後の様式に対応した版への更新で取り込めるようになります。',
};

const salary = (layout: NtaLayout): NtaKind => ({
  code: layout.code,
  label: layout.label,
  versions: [
    // 基礎控除・所得金額調整控除・ひとり親 (令和2年分 revision) up to the 令和7年度 reform.
    { from: 2020, to: 2024, edition: '令和2年分〜令和6年分（144項目）', layout },
    { from: 2025, edition: '令和7年分以降（特定親族特別控除の追加後）', layout: R7_SALARY },
  ],
});

/** One edition for every 令和 年分 (the 年分 item is a two-digit 令和 year). */
const single = (layout: NtaLayout): NtaKind => ({
  code: layout.code,
  label: layout.label,
  versions: [{ from: 2019, edition: `令和元年分以降（${layout.fieldCount}項目）`, layout }],
});

export const SALARY_SLIP_KIND = salary(SALARY_SLIP_LAYOUT);
export const SALARY_REPORT_KIND = salary(SALARY_REPORT_LAYOUT);
export const RETIREMENT_SLIP_KIND = single(RETIREMENT_SLIP_LAYOUT);
export const FEES_KIND = single(FEES_LAYOUT);
export const REAL_ESTATE_KIND = single(REAL_ESTATE_LAYOUT);

export const NTA_KINDS: readonly NtaKind[] = [SALARY_SLIP_KIND, SALARY_REPORT_KIND, RETIREMENT_SLIP_KIND, FEES_KIND, REAL_ESTATE_KIND];
