import { describe, expect, it } from 'vitest';
import { missingFilings, yearPersonCells } from '../../src/domain/filing-year-person.js';

const facts = { employee: true, payee: false, joinedInYear: false, leftInYear: false };

describe('the filings due per person of a year', () => {
  it('asks an employee for the 源泉徴収票 and 給与支払報告書, a joiner also for the 資格取得届 and a leaver for the 資格喪失届', () => {
    expect(missingFilings(yearPersonCells(facts, []))).toEqual(['salary_slip', 'salary_report']);
    expect(missingFilings(yearPersonCells({ ...facts, joinedInYear: true, leftInYear: true }, []))).toEqual(['salary_slip', 'salary_report', 'acquisition', 'loss']);
    const filed = yearPersonCells({ ...facts, leftInYear: true }, [
      { kind: 'nta_salary_slip', destinationName: '麹町税務署', submittedOn: '2027-01-20' },
      { kind: 'eltax_salary_report', destinationName: '千代田区', submittedOn: '2027-01-20' },
      { kind: 'eltax_salary_report', destinationName: null, submittedOn: null },
    ]);
    expect(missingFilings(filed)).toEqual(['loss']);
    expect(filed.salary_report).toEqual({ due: true, filings: [expect.objectContaining({ destinationName: '千代田区' }), expect.objectContaining({ destinationName: null })] });
    expect(filed.payment_record).toEqual({ due: false });
  });

  it('asks a payee for a 支払調書 of either kind, and shows a filing made though not asked for', () => {
    const payee = { ...facts, employee: false, payee: true };
    expect(missingFilings(yearPersonCells(payee, []))).toEqual(['payment_record']);
    expect(missingFilings(yearPersonCells(payee, [{ kind: 'nta_real_estate', destinationName: null, submittedOn: null }]))).toEqual([]);
    const extra = yearPersonCells(facts, [{ kind: 'egov_acquisition', destinationName: 'e-Gov', submittedOn: '2026-04-03' }]);
    expect(extra.acquisition).toEqual({ due: true, filings: [expect.objectContaining({ kind: 'egov_acquisition' })] });
    expect(missingFilings(extra)).toEqual(['salary_slip', 'salary_report']);
  });
});
