import { describe, expect, it } from 'vitest';
import { japanDate, parseDate } from '../../src/domain/dates.js';
import { normaliseKana, parsePersonKind, parseRelationship, type PersonKind } from '../../src/domain/persons.js';
import { findPurpose, isPurposeCode, PURPOSES, purposesFor } from '../../src/domain/purposes.js';

describe('parseDate', () => {
  it.each([
    ['1990-04-01', '1990-04-01'],
    ['1990/4/1', '1990-04-01'],
    ['1990年4月1日', '1990-04-01'],
    ['１９９０年４月１日', '1990-04-01'],
    ['平成2年4月1日', '1990-04-01'],
    ['平成元年1月8日', '1989-01-08'],
    ['H2.4.1', '1990-04-01'],
    ['h2.4.1', '1990-04-01'],
    ['令和元年5月1日', '2019-05-01'],
    ['令和6年2月29日', '2024-02-29'],
    ['昭和64年1月7日', '1989-01-07'],
    ['S60.12.31', '1985-12-31'],
    ['19900401', '1990-04-01'],
    ['  2000-02-29 ', '2000-02-29'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseDate(input)).toBe(expected);
  });

  it.each(['2023-02-30', '1900-02-29', '2023-13-01', '2023-00-10', '2023-04-31', '令和5年2月29日', 'abc', '', '1990-4', '平成年4月1日'])(
    'returns undefined for %j, which is not a calendar date',
    (input) => {
      expect(parseDate(input)).toBeUndefined();
    },
  );

  it('gives the JST date, which is a day ahead of UTC after 15:00 UTC', () => {
    expect(japanDate(new Date('2026-11-25T14:59:59.000Z'))).toBe('2026-11-25');
    expect(japanDate(new Date('2026-11-25T15:00:00.000Z'))).toBe('2026-11-26');
  });
});

describe('parsePersonKind', () => {
  it.each([
    ['従業員', 'employee'],
    ['employee', 'employee'],
    ['Employee', 'employee'],
    [' 従業員 ', 'employee'],
    ['dependent', 'dependant'],
    ['dependant', 'dependant'],
    ['扶養親族', 'dependant'],
    ['支払先', 'payee'],
    ['payee', 'payee'],
    ['ＰＡＹＥＥ', 'payee'],
  ] as [string, PersonKind][])('maps %j to %s', (input, kind) => {
    expect(parsePersonKind(input)).toBe(kind);
  });

  it.each(['', 'manager', '役員', 'toString', 'constructor', '__proto__'])('returns undefined for the unknown kind %j', (input) => {
    expect(parsePersonKind(input)).toBeUndefined();
  });
});

describe('parseRelationship', () => {
  it('maps Japanese and English terms to the stored term', () => {
    expect(parseRelationship('妻')).toBe('配偶者');
    expect(parseRelationship('Spouse')).toBe('配偶者');
    expect(parseRelationship('長女')).toBe('子');
    expect(parseRelationship('father-in-law')).toBe('義父');
  });

  it.each(['', 'boss', 'constructor', '__proto__'])('returns undefined for the unknown relationship %j', (input) => {
    expect(parseRelationship(input)).toBeUndefined();
  });
});

describe('normaliseKana', () => {
  it('turns hiragana into katakana', () => {
    expect(normaliseKana('やまだ たろう')).toBe('ヤマダ タロウ');
    expect(normaliseKana('ぎゅうにゅう')).toBe('ギュウニュウ');
  });

  it('turns half-width kana (with voiced marks) into full-width katakana', () => {
    expect(normaliseKana('ﾔﾏﾀﾞ ﾀﾛｳ')).toBe('ヤマダ タロウ');
    expect(normaliseKana('ｻﾄｳ　ﾊﾟｰｸ')).toBe('サトウ パーク');
  });

  it('keeps katakana and folds runs of spaces', () => {
    expect(normaliseKana('  スズキ\u3000\u3000ハナコ ')).toBe('スズキ ハナコ');
  });

  it.each(['山田 太郎', 'ヤマダ 太郎', 'Yamada', 'ヤマダ1'])('rejects %j, which holds non-kana', (input) => {
    expect(normaliseKana(input)).toBeUndefined();
  });
});

describe('purposes', () => {
  it('has a unique code for every purpose', () => {
    const codes = PURPOSES.map((p) => p.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('finds every purpose by its code and nothing for an unknown code', () => {
    for (const p of PURPOSES) {
      expect(findPurpose(p.code)).toBe(p);
      expect(isPurposeCode(p.code)).toBe(true);
    }
    expect(findPurpose('payment_record_fees')?.name).toBe('報酬・料金等の支払調書作成事務');
    expect(findPurpose('nope')).toBeUndefined();
    expect(findPurpose('toString')).toBeUndefined();
    expect(isPurposeCode('nope')).toBe(false);
  });

  it('gives payees only payee purposes, including payment_record_fees', () => {
    const forPayee = purposesFor('payee');
    expect(forPayee.map((p) => p.code)).toContain('payment_record_fees');
    for (const p of forPayee) expect(p.appliesTo).toContain('payee');
    expect(forPayee.map((p) => p.code)).not.toContain('withholding_slip');
  });

  it('gives every kind exactly the purposes that list it, in catalog order', () => {
    for (const kind of ['employee', 'dependant', 'payee'] as const) {
      const expected = PURPOSES.filter((p) => (p.appliesTo as readonly string[]).includes(kind)).map((p) => p.code);
      expect(purposesFor(kind).map((p) => p.code)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});
