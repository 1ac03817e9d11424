import { describe, expect, it } from 'vitest';
import { checkDisplayName } from '../../src/services/accounts.js';

describe('a user display name (new users and an admin edit read the same rule)', () => {
  it('folds spaces and refuses empty, long and number-like names', () => {
    expect(checkDisplayName('  山田\u3000 太郎 ')).toEqual({ displayName: '山田 太郎' });
    expect(checkDisplayName('   ').problem).toBe('氏名を1〜50文字で入れてください。');
    expect(checkDisplayName('あ'.repeat(51)).problem).toBe('氏名を1〜50文字で入れてください。');
    expect(checkDisplayName('担当 123456789018').problem).toBe('氏名に12桁の数字は入れられません。');
  });
});
