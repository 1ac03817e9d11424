import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { CorporateNumber, corporateNumberCheckDigit } from '../../src/domain/corporate-number.js';

/** Independent reference (財務省令第七十号 第2条), computed from the left: the rightmost digit has weight 1. */
function referenceCheckDigit(base12: string): number {
  const sum = [...base12].reduce((acc, c, i) => acc + Number(c) * ((12 - i) % 2 === 1 ? 1 : 2), 0);
  return 9 - (sum % 9);
}

function parses(input: string): string {
  const r = CorporateNumber.tryParse(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to parse: ${r.message}`);
  return r.value.digits;
}

function failure(input: string): string {
  const r = CorporateNumber.tryParse(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return r.message;
}

describe('CorporateNumber', () => {
  it.each(['4011001098993', '2120901007402', '7123456789012', '1180301018771'])('accepts the valid 法人番号 %s', (n) => {
    expect(parses(n)).toBe(n);
    expect(String(CorporateNumber.parse(n))).toBe(n);
  });

  it('rejects 1234567890123 because its leading check digit is wrong', () => {
    expect(failure('1234567890123')).toContain('チェックデジット');
  });

  it('accepts exactly one leading digit for each base, the one the ordinance gives', () => {
    for (const base of ['011001098993', '120901007402', '123456789012', '180301018771', '999999999999', '000000000001']) {
      const accepted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => CorporateNumber.tryParse(`${d}${base}`).ok);
      expect(accepted, base).toEqual([referenceCheckDigit(base)]);
    }
  });

  it('computes check digit 9 (never 0) when the weighted sum is a multiple of 9', () => {
    expect(corporateNumberCheckDigit('000000000000')).toBe(9);
    expect(parses('9000000000000')).toBe('9000000000000');
    expect(CorporateNumber.tryParse('0000000000000').ok).toBe(false);
  });

  it.each(['401100109899', '40110010989930', '4'])('rejects %s as the wrong length and says 13桁', (n) => {
    const m = failure(n);
    expect(m).toContain('13桁');
    expect(m).toContain(`${n.length}桁入力`);
  });

  it('rejects empty input and non-digits with distinct messages', () => {
    expect(failure('')).toContain('入力されていません');
    expect(failure('401100109899X')).toContain('数字以外');
  });

  it('accepts full-width digits, spaces and hyphens', () => {
    expect(parses('４０１１００１０９８９９３')).toBe('4011001098993');
    expect(parses('4-0110-0109-8993')).toBe('4011001098993');
    expect(parses('４０１１\u3000００１０\u3000９８９９３')).toBe('4011001098993');
  });

  it('throws AppError invalid from parse()', () => {
    expect(() => CorporateNumber.parse('1234567890123')).toThrow(AppError);
    try {
      CorporateNumber.parse('123');
    } catch (e) {
      expect((e as AppError).code).toBe('invalid');
    }
    expect.assertions(2);
  });
});
