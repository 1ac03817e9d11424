/**
 * The year view per person (年分ごとの人別の状況): for a person of a filing year,
 * which filings were made that carry them and which are still missing.
 *
 * What is due (所得税法226条, 地方税法317条の6, 厚生年金保険法27条・同施行規則
 * 15条・22条, 健康保険法48条, 雇用保険法7条; docs/filing-season.md):
 * - an employee paid during the year: the 給与所得の源泉徴収票 and the
 *   給与支払報告書 (to the 市区町村 of their address on 1 January of the next
 *   year; the appliance shows which 市区町村 each was submitted to);
 * - an employee who joined during the year: the 資格取得届; one who left during
 *   it: the 資格喪失届. The register holds no hire date: joining is read as
 *   registered as an employee (or given an employee role) during the year, the
 *   stricter reading (a person registered in the year is asked about, not passed over);
 * - a payee paid during the year: a 支払調書 (報酬・料金等 or 不動産の使用料等;
 *   which one applies is the payment's nature, so either counts).
 * The 退職所得の源泉徴収票 depends on a retirement payment the register does not
 * know; it is shown when filed, never asked for. Dependants carry no filing of
 * their own: they are listed under their employee with the filings that named them.
 */
import type { FilingKind } from './filing.js';

export const YEAR_PERSON_FILINGS = ['salary_slip', 'salary_report', 'payment_record', 'acquisition', 'loss'] as const;
export type YearPersonFiling = (typeof YEAR_PERSON_FILINGS)[number];

/** Which handover kinds answer each filing of the person view. */
export const YEAR_PERSON_KINDS: Record<YearPersonFiling, readonly FilingKind[]> = {
  salary_slip: ['nta_salary_slip'],
  salary_report: ['eltax_salary_report'],
  payment_record: ['nta_fees', 'nta_real_estate'],
  acquisition: ['egov_acquisition'],
  loss: ['egov_loss'],
};

/** The kinds filed once per event rather than per 年分: a handover of any year naming the person counts. */
export const EVENT_KINDS: readonly FilingKind[] = ['egov_acquisition', 'egov_loss'];

export interface YearPersonFacts {
  employee: boolean;
  payee: boolean;
  joinedInYear: boolean;
  leftInYear: boolean;
}

/** A handover naming the person, as the view needs it. */
export interface PersonFiling {
  kind: FilingKind;
  /** 提出先の名称 as recorded (the latest correction), or null before the submission is recorded. */
  destinationName: string | null;
  submittedOn: string | null;
}

export type YearPersonCell = { due: false } | { due: true; filings: PersonFiling[] };

/** Per filing of the view: not due, or due with the handovers that carried it (none: missing). */
export function yearPersonCells(facts: YearPersonFacts, filings: readonly PersonFiling[]): Record<YearPersonFiling, YearPersonCell> {
  const due: Record<YearPersonFiling, boolean> = {
    salary_slip: facts.employee,
    salary_report: facts.employee,
    payment_record: facts.payee,
    acquisition: facts.employee && facts.joinedInYear,
    loss: facts.employee && facts.leftInYear,
  };
  const out = {} as Record<YearPersonFiling, YearPersonCell>;
  for (const f of YEAR_PERSON_FILINGS) {
    const of = filings.filter((x) => YEAR_PERSON_KINDS[f].includes(x.kind));
    // A filing made though not asked for (a 資格取得届 of someone registered earlier) is still shown.
    out[f] = due[f] || of.length > 0 ? { due: true, filings: of } : { due: false };
  }
  return out;
}

/** The filings due and not yet made. */
export function missingFilings(cells: Record<YearPersonFiling, YearPersonCell>): YearPersonFiling[] {
  return YEAR_PERSON_FILINGS.filter((f) => {
    const c = cells[f];
    return c.due && c.filings.length === 0;
  });
}
