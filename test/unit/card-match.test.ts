import { describe, expect, it } from 'vitest';
import { compareCardWithRecord, compareNames } from '../../src/domain/card-match.js';

describe("the card's name against the record", () => {
  it('names a 旧姓 in brackets whether the record holds the current surname or the 旧姓 (旧姓の使用)', () => {
    expect(compareNames('佐藤［鈴木］ 花子', '佐藤 花子')).toEqual({ same: false, difference: 'former_surname' });
    // An employee who works under the 旧姓 the card carries is the same person, not another.
    expect(compareNames('佐藤［鈴木］ 花子', '鈴木 花子')).toEqual({ same: false, difference: 'former_surname' });
    expect(compareNames('佐藤（鈴木）　花子', '鈴木花子')).toEqual({ same: false, difference: 'former_surname' });
    expect(compareCardWithRecord({ name: '佐藤［鈴木］ 花子', birthDate: '1985-05-05' }, { name: '鈴木 花子', birthDate: '1985-05-05' }).acceptable).toBe(true);
  });

  it('refuses a bracketed name that matches neither the current nor the former surname', () => {
    expect(compareNames('佐藤［鈴木］ 花子', '田中 花子')).toEqual({ same: false, difference: 'different' });
    expect(compareNames('佐藤［鈴木］ 花子', '鈴木 佐藤 花子')).toEqual({ same: false, difference: 'different' });
  });

  it('names spacing and 外字 substitutes, and refuses another birth date', () => {
    expect(compareNames('山田　太郎', '山田太郎')).toEqual({ same: false, difference: 'spacing' });
    expect(compareNames('〓藤 花子', '齋藤 花子')).toEqual({ same: false, difference: 'gaiji' });
    expect(compareNames('\uE000藤 花子', '齋藤花子')).toEqual({ same: false, difference: 'gaiji' });
    expect(compareCardWithRecord({ name: '山田 太郎', birthDate: '1990-01-02' }, { name: '山田 太郎', birthDate: '1990-01-03' })).toMatchObject({ birthDate: 'different', acceptable: false });
  });
});
