import { describe, expect, it } from 'vitest';
import { checkFilingYear, checkSubmission, receiptRequired } from '../../src/domain/filing-record.js';

// Merged at 00:30 on 20 January in Japan, which is still the 19th in UTC.
const handover = { destination: 'tax_office' as const, channel: 'etax' as const, mergedAt: '2027-01-19T15:30:00.000Z' };
const at = (iso: string) => new Date(iso);
/** The message for a field of a refused record, or '' when the record was accepted. */
const problem = (r: ReturnType<typeof checkSubmission>, field: string): string => (r.ok ? '' : (r.errors[field] ?? ''));

describe('the submission record of a filing handover', () => {
  it('bounds the date by Japan days: not before the merge day, not after today', () => {
    const now = at('2027-01-20T15:10:00Z'); // 00:10 on the 21st in Japan
    expect(problem(checkSubmission({ destinationName: '麹町税務署', submittedOn: '2027-01-19', receiptNo: '20270119000000000001' }, handover, now), 'submittedOn')).toContain('より前です');
    expect(checkSubmission({ destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: '20270120000000000001' }, handover, now)).toMatchObject({ ok: true });
    expect(checkSubmission({ destinationName: '麹町税務署', submittedOn: '令和9年1月21日', receiptNo: '20270121000000000001' }, handover, now)).toMatchObject({
      ok: true,
      value: { submittedOn: '2027-01-21' },
    });
    expect(problem(checkSubmission({ destinationName: '麹町税務署', submittedOn: '2027-01-22', receiptNo: '20270122000000000001' }, handover, now), 'submittedOn')).toContain('未来');
  });

  it('asks for a receipt number only for an electronic submission to a 行政機関', () => {
    expect(receiptRequired('tax_office', 'etax')).toBe(true);
    expect(receiptRequired('municipality', 'eltax')).toBe(true);
    expect(receiptRequired('pension_office', 'egov')).toBe(true);
    expect(receiptRequired('tax_office', 'mail')).toBe(false);
    expect(receiptRequired('tax_office', 'media')).toBe(false);
    expect(receiptRequired('tax_accountant', 'etax')).toBe(false);
    expect(receiptRequired('labour_consultant', 'egov')).toBe(false);
  });

  it('refuses a receipt number or a name holding twelve digits in any grouping, and odd characters in a receipt number', () => {
    const now = at('2027-01-25T00:00:00Z');
    const base = { destinationName: '千代田区', submittedOn: '2027-01-24' };
    for (const receiptNo of ['1234-5678-9018', '123456789018', '2027-0124-1234']) expect(problem(checkSubmission({ ...base, receiptNo }, handover, now), 'receiptNo'), receiptNo).toContain('12桁');
    expect(problem(checkSubmission({ ...base, destinationName: '千代田区 1234 5678 9018', receiptNo: 'A1' }, handover, now), 'destinationName')).toContain('12桁');
    expect(problem(checkSubmission({ ...base, receiptNo: '受付 1' }, handover, now), 'receiptNo')).toContain('英数字とハイフン');
    expect(checkSubmission({ ...base, receiptNo: 'ＡＢ１２' }, handover, now)).toMatchObject({ ok: true, value: { receiptNo: 'AB12' } });
    expect(problem(checkSubmission({ ...base, destinationName: 'a'.repeat(61), receiptNo: 'A1' }, handover, now), 'destinationName')).toContain('60文字以内');
  });

  it('takes a filing year from 2016 to this year in Japan', () => {
    expect(checkFilingYear('2015', at('2027-01-01T00:00:00Z'))).toBeUndefined();
    expect(checkFilingYear('２０２６', at('2027-01-01T00:00:00Z'))).toBe(2026);
    // 31 December 2026 16:00 UTC is already 2027 in Japan.
    expect(checkFilingYear('2027', at('2026-12-31T16:00:00Z'))).toBe(2027);
    expect(checkFilingYear('2027', at('2026-12-31T14:00:00Z'))).toBeUndefined();
  });
});
