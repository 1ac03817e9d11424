import { describe, expect, it } from 'vitest';
import { Secret, showOnce } from '../../src/domain/secret.js';

describe('showOnce', () => {
  it('hands the values over once and wipes them after', () => {
    const codes = [new Secret('ABCD-EFGH'), new Secret('IJKL-MNOP')];
    expect(showOnce(codes, (values) => values.join(' '))).toBe('ABCD-EFGH IJKL-MNOP');
    expect(codes.every((c) => c.wiped)).toBe(true);
  });

  it('wipes them also when showing fails', () => {
    const key = new Secret(Buffer.from([1, 2, 3]));
    const bytes = key.expose();
    expect(() =>
      showOnce([key], () => {
        throw new Error('render failed');
      }),
    ).toThrow('render failed');
    expect(key.wiped).toBe(true);
    expect([...bytes]).toEqual([0, 0, 0]);
  });
});
