import { describe, expect, it } from 'vitest';
import { japanDate } from '../../src/domain/dates.js';
import { disposalBatch, endEventOf, isDue, periodEnd, retentionEnd, ruleEnd, type RetentionFacts, type RetentionRule } from '../../src/domain/retention.js';

const RULES: RetentionRule[] = [
  { code: 'dependant_declaration', name: '扶養控除等申告書', document: '', appliesTo: ['employee', 'dependant'], years: 7, start: 'after_jan10_next_year', source: '' },
  { code: 'employment_insurance', name: '雇用保険', document: '', appliesTo: ['employee'], years: 4, start: 'event_date', source: '' },
  { code: 'health_pension_insurance', name: '健保・厚年', document: '', appliesTo: ['employee', 'dependant'], years: 2, start: 'event_date', source: '' },
  { code: 'payment_record', name: '支払調書', document: '', appliesTo: ['payee'], years: 5, start: 'after_jan31_next_year', source: '' },
];

const employee = (retiredOn: string | null): RetentionFacts => ({ kind: 'employee', status: retiredOn ? 'retired' : 'active', retiredOn, dependantUntil: null, supporterRetiredOn: null });

describe('periodEnd (民法140条〜143条)', () => {
  it.each([
    ['2027-01-11', 7, '2034-01-10'],
    ['2026-04-01', 4, '2030-03-31'],
    ['2023-03-01', 1, '2024-02-29'],
    ['2024-02-29', 2, '2026-02-28'],
    ['2024-02-29', 4, '2028-02-28'],
    ['2026-01-01', 1, '2026-12-31'],
    ['2026-04-01', 0, '2026-03-31'],
  ])('a period from %s of %i years ends on %s', (first, years, end) => {
    expect(periodEnd(first, years)).toBe(end);
  });
});

describe('ruleEnd', () => {
  it('counts the 扶養控除等申告書 7 years from 1月11日 of the year after the end event', () => {
    expect(ruleEnd(RULES[0]!, '2026-12-31')).toBe('2034-01-10');
    expect(ruleEnd(RULES[0]!, '2026-01-01')).toBe('2034-01-10');
    expect(ruleEnd(RULES[0]!, '2027-01-01')).toBe('2035-01-10');
  });

  it('counts 完結の日 periods from the day after the event, keeping 29 February right', () => {
    expect(ruleEnd(RULES[1]!, '2026-03-31')).toBe('2030-03-31');
    expect(ruleEnd(RULES[2]!, '2023-02-28')).toBe('2025-02-28');
    expect(ruleEnd({ years: 1, start: 'event_date' }, '2023-02-28')).toBe('2024-02-29');
    expect(ruleEnd(RULES[2]!, '2024-02-29')).toBe('2026-02-28');
  });

  it('counts 支払調書 periods from the day after 1月31日 of the next year', () => {
    expect(ruleEnd(RULES[3]!, '2026-06-30')).toBe('2032-01-31');
  });
});

describe('retentionEnd', () => {
  it('has not started while the person is employed, trading or supported', () => {
    expect(retentionEnd(employee(null), RULES)).toBeNull();
    expect(retentionEnd({ kind: 'payee', status: 'active', retiredOn: null, dependantUntil: null, supporterRetiredOn: null }, RULES)).toBeNull();
    expect(retentionEnd({ kind: 'dependant', status: 'active', retiredOn: null, dependantUntil: null, supporterRetiredOn: null }, RULES)).toBeNull();
  });

  it('takes the longest rule for a retired employee (扶養控除等申告書 over 雇用保険 and 健保)', () => {
    const r = retentionEnd(employee('2026-03-31'), RULES)!;
    expect(r.event).toEqual({ date: '2026-03-31', cause: 'retired' });
    expect(r.end).toBe('2034-01-10');
    expect(r.governing.map((x) => x.code)).toEqual(['dependant_declaration']);
  });

  it('follows an edited rule: 雇用保険 at 10 years governs instead', () => {
    const longer = RULES.map((r) => (r.code === 'employment_insurance' ? { ...r, years: 10 } : r));
    const r = retentionEnd(employee('2026-03-31'), longer)!;
    expect(r.end).toBe('2036-03-31');
    expect(r.governing.map((x) => x.code)).toEqual(['employment_insurance']);
  });

  it('gives a dependant removed by 異動 their own end, even while the supporter works', () => {
    const r = retentionEnd({ kind: 'dependant', status: 'active', retiredOn: null, dependantUntil: '2027-06-30', supporterRetiredOn: null }, RULES)!;
    expect(r.event.cause).toBe('dependant_ended');
    expect(r.end).toBe('2035-01-10');
  });

  it('ends a dependant with the supporter retiring first', () => {
    const f: RetentionFacts = { kind: 'dependant', status: 'active', retiredOn: null, dependantUntil: '2028-01-05', supporterRetiredOn: '2027-12-31' };
    expect(endEventOf(f)).toEqual({ date: '2027-12-31', cause: 'supporter_retired' });
  });

  it('counts a payee from the end of the relationship under the 支払調書 rule only', () => {
    const r = retentionEnd({ kind: 'payee', status: 'retired', retiredOn: '2026-06-30', dependantUntil: null, supporterRetiredOn: null }, RULES)!;
    expect(r.event.cause).toBe('payee_ended');
    expect(r.end).toBe('2032-01-31');
  });
});

describe('due and batches (Japan time)', () => {
  it('is due only from the day after the retention end, in Japan time', () => {
    expect(isDue('2034-01-10', japanDate(new Date('2034-01-10T14:59:59Z')))).toBe(false);
    expect(isDue('2034-01-10', japanDate(new Date('2034-01-10T15:00:00Z')))).toBe(true);
  });

  it.each([
    ['2034-01-10', 3, '2034-03-31', '2034年3月末'],
    ['2034-03-30', 3, '2034-03-31', '2034年3月末'],
    ['2034-03-31', 3, '2035-03-31', '2035年3月末'],
    ['2034-01-10', 12, '2034-12-31', '2034年12月末'],
    ['2034-02-27', 2, '2034-02-28', '2034年2月末'],
    ['2035-02-28', 2, '2036-02-29', '2036年2月末'],
  ])('puts a retention end of %s with batch month %i in the batch of %s', (end, month, date, label) => {
    expect(disposalBatch(end, month)).toEqual({ date, label });
  });

  it('refuses a batch month outside 1-12', () => {
    expect(() => disposalBatch('2034-01-10', 13)).toThrow(RangeError);
  });
});
