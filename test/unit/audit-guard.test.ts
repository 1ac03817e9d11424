import { describe, expect, it } from 'vitest';
import { looksLikeNumber } from '../../src/domain/digits.js';
import { MyNumber } from '../../src/domain/my-number.js';

describe('looksLikeNumber (the audit trail guard)', () => {
  it.each([
    '123456789018',
    '1234 5678 9018',
    '1234-5678-9018',
    '１２３４５６７８９０１８',
    '１２３４　５６７８　９０１８',
    '1234－5678－9018',
    'x123456789018y',
    'reason: 本人確認 123456789018 済',
    'c0ffee00-0000-4000-8000-000000000000 123456789018',
  ])('flags %j', (text) => {
    expect(looksLikeNumber(text)).toBe(true);
  });

  it.each([
    'c0ffee00-0000-4000-8000-000000000000',
    'C0FFEE00-0000-4000-8000-000000000000',
    // a 64-char hex digest (digits and a-f only) holding a long run of digits
    'deadbeef123456789012345678901234abcdef0123456789abcdef0123456789',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '2026-11-25T10:00:00.000Z',
    '7123456789012',
    '12345678901',
    '1234 5678 901',
    '',
    '社員番号 E000123',
  ])('does not flag %j', (text) => {
    expect(looksLikeNumber(text)).toBe(false);
  });

  it('the digest in the negative case really is 64 hex characters with a 12-digit run', () => {
    const d = 'deadbeef123456789012345678901234abcdef0123456789abcdef0123456789';
    expect(d).toMatch(/^[0-9a-f]{64}$/u);
    expect(d).toMatch(/\d{12}/u);
  });

  it.each([
    ['U+2010 hyphen', '1234‐5678‐9018'],
    ['U+2212 minus', '1234−5678−9018'],
    ['katakana prolonged mark ー', '1234ー5678ー9018'],
    ['en dash', '1234–5678–9018'],
    ['em dash', '1234—5678—9018'],
    ['underscore', '1234_5678_9018'],
  ])('flags a 4-4-4 number whose separator MyNumber.parse accepts (%s)', (_what, text) => {
    expect(MyNumber.tryParse(text).ok).toBe(true);
    expect(looksLikeNumber(text)).toBe(true);
  });
});
