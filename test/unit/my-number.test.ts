import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { MyNumber, myNumberCheckDigit, type MyNumberProblem } from '../../src/domain/my-number.js';

/** mulberry32: a tiny seeded PRNG so the property test is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPrefix(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 11; i++) s += String(Math.floor(rand() * 10));
  return s;
}

/**
 * Independent reference for the check digit, written the way the ordinance states it
 * (総務省令第八十五号 第5条): Pn is the n-th digit from the right of the first eleven,
 * Qn = n + 1 for 1 ≤ n ≤ 6 and n − 5 for 7 ≤ n ≤ 11; check = 0 if Σ mod 11 ≤ 1 else 11 − Σ mod 11.
 */
function referenceCheckDigit(first11: string): number {
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = Number(first11[11 - n]);
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

function parsed(input: string): string {
  const r = MyNumber.tryParse(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to parse, got ${r.problem}`);
  return r.value.expose();
}

function problemOf(input: string): MyNumberProblem | 'ok' {
  const r = MyNumber.tryParse(input);
  return r.ok ? 'ok' : r.problem;
}

describe('MyNumber vectors', () => {
  it('accepts the published example 123456789018', () => {
    expect(parsed('123456789018')).toBe('123456789018');
  });

  it('rejects 123456789019 because its check digit is wrong', () => {
    expect(problemOf('123456789019')).toBe('check_digit');
  });

  it.each(['000000000019', '111111111118', '987654321093', '555555555557', '100000000005', '202020202027'])(
    'accepts the synthetic valid number %s',
    (n) => {
      expect(parsed(n)).toBe(n);
    },
  );

  it.each([
    ['000000000010', 'check_digit'],
    ['111111111111', 'check_digit'],
    ['987654321090', 'check_digit'],
    ['555555555555', 'check_digit'],
  ])('rejects %s whose last digit is off', (n, problem) => {
    expect(problemOf(n)).toBe(problem);
  });

  it('computes check digit 0 when the weighted sum mod 11 is 0 or 1', () => {
    // 00000000000: sum 0 → 0
    expect(myNumberCheckDigit('00000000000')).toBe(0);
    expect(parsed('000000000000')).toBe('000000000000');
    // 00000000006: 6×2 = 12, mod 11 = 1 → 0;  00000100001: 1×7 + 1×2 = 9 → 11 − 9 = 2
    expect(myNumberCheckDigit('00000000006')).toBe(0);
    expect(myNumberCheckDigit('00000100001')).toBe(2);
  });
});

describe('MyNumber properties (seeded)', () => {
  const rand = prng(0x6d4e_2026);
  const prefixes = Array.from({ length: 2000 }, () => randomPrefix(rand));

  it('accepts exactly one of the ten possible last digits for each of 2,000 random prefixes, the one the ordinance gives', () => {
    for (const prefix of prefixes) {
      const accepted: number[] = [];
      for (let d = 0; d <= 9; d++) if (MyNumber.tryParse(prefix + d).ok) accepted.push(d);
      expect(accepted, prefix).toEqual([referenceCheckDigit(prefix)]);
    }
  });

  it('rejects every other last digit with problem check_digit', () => {
    for (const prefix of prefixes.slice(0, 200)) {
      const good = referenceCheckDigit(prefix);
      for (let d = 0; d <= 9; d++) {
        if (d !== good) expect(problemOf(prefix + d), prefix + d).toBe('check_digit');
      }
    }
  });

  it('round-trips parse → expose() to the same twelve digits', () => {
    for (const prefix of prefixes) {
      const n = prefix + referenceCheckDigit(prefix);
      expect(MyNumber.parse(n).expose()).toBe(n);
    }
  });

  it('parses full-width digits, ideographic spaces and every hyphen style to the same digits', () => {
    const toFullWidth = (s: string) => s.replace(/[0-9]/gu, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    for (const prefix of prefixes.slice(0, 300)) {
      const n = prefix + referenceCheckDigit(prefix);
      const groups = [n.slice(0, 4), n.slice(4, 8), n.slice(8)];
      const variants = [
        toFullWidth(n),
        groups.join(' '),
        toFullWidth(groups.join(' ')),
        groups.join('\u3000'),
        toFullWidth(groups.join('\u3000')),
        groups.join('-'),
        groups.join('－'),
        groups.join('‐'),
        groups.join('ー'),
        toFullWidth(groups.join('ー')),
        ` ${groups.join(' - ')} `,
      ];
      for (const v of variants) expect(parsed(v), JSON.stringify(v)).toBe(n);
    }
  });

  it('parses the grouped full-width example １２３４ ５６７８ ９０１８', () => {
    expect(parsed('１２３４ ５６７８ ９０１８')).toBe('123456789018');
    expect(parsed('１２３４\u3000５６７８\u3000９０１８')).toBe('123456789018');
    expect(parsed('1234-5678-9018')).toBe('123456789018');
    expect(parsed('1234－5678－9018')).toBe('123456789018');
    expect(parsed('1234‐5678‐9018')).toBe('123456789018');
    expect(parsed('1234ー5678ー9018')).toBe('123456789018');
  });

  it('formats a parsed number grouped 4-4-4 and compares by digits', () => {
    const a = MyNumber.parse('１２３４ ５６７８ ９０１８');
    expect(a.formatGrouped()).toBe('1234 5678 9018');
    expect(a.equals(MyNumber.parse('123456789018'))).toBe(true);
    expect(a.equals(MyNumber.parse('987654321093'))).toBe(false);
  });
});

describe('MyNumber problems', () => {
  it('reports empty input as empty', () => {
    expect(problemOf('')).toBe('empty');
    expect(problemOf(' \u3000-')).toBe('empty');
  });

  it('reports 11 digits as wrong_length and says 11桁 were entered', () => {
    const r = MyNumber.tryParse('12345678901');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe('wrong_length');
    expect(r.message).toContain('11桁');
  });

  it('reports 13 digits as wrong_length', () => {
    const r = MyNumber.tryParse('1234567890123');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe('wrong_length');
    expect(r.message).toContain('13桁');
  });

  it('reports a letter among the digits as not_digits', () => {
    expect(problemOf('12345678901a')).toBe('not_digits');
    expect(problemOf('1234.5678.9018')).toBe('not_digits');
  });

  it('throws AppError with code invalid from parse()', () => {
    for (const bad of ['', '12345678901', '1234567890123', '12345678901a', '123456789019']) {
      let caught: unknown;
      try {
        MyNumber.parse(bad);
      } catch (e) {
        caught = e;
      }
      expect(caught, bad).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('invalid');
      expect((caught as AppError).publicMessage).toMatch(/個人番号/u);
    }
  });
});

describe('MyNumber masking', () => {
  const digits = '123456789018';
  const n = MyNumber.parse(digits);
  // Any 4-digit window of the number is enough to count as a leak.
  const windows = Array.from({ length: digits.length - 3 }, (_, i) => digits.slice(i, i + 4));

  function expectNoDigits(text: string): void {
    for (const w of windows) expect(text, `leaked ${w}`).not.toContain(w);
  }

  it('masks String(n), template literals, concatenation, JSON and util.inspect', () => {
    const forms = [
      String(n),
      `${n}`,
      '' + n,
      JSON.stringify({ n }),
      JSON.stringify([n]),
      inspect(n),
      inspect({ nested: { n } }, { depth: 5 }),
      inspect(n, { showHidden: true }),
    ];
    for (const f of forms) expectNoDigits(f);
    expect(String(n)).toBe('************');
    expect(JSON.stringify({ n })).toBe('{"n":"************"}');
  });

  it('keeps the digits out of an error message built from the number', () => {
    const e = new Error(`failed for ${n}`);
    expectNoDigits(e.message);
    expectNoDigits(inspect(e));
  });

  it.each([
    ['empty', ''],
    ['wrong_length', '12345678901'],
    ['wrong_length', '1234567890123'],
    ['wrong_length', '1234 5678 90'],
    ['not_digits', '12345678901a'],
    ['not_digits', '1234x5678y9018'],
    ['check_digit', '123456789019'],
    ['check_digit', '９８７６ ５４３２ １０９０'],
  ] as const)('never echoes the input digits in a %s message (%s)', (problem, input) => {
    const r = MyNumber.tryParse(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe(problem);
    const d = input.normalize('NFKC').replace(/[^0-9]/gu, '');
    for (let i = 0; i + 4 <= d.length; i++) expect(r.message).not.toContain(d.slice(i, i + 4));
    expect(r.message).not.toContain(input.length > 0 ? input : '\u0000');
  });

  it('does not echo a digit of another script that NFKC does not fold (not_digits)', () => {
    // Arabic-Indic digits are decimal digits (\p{Nd}) but stay as they are under NFKC,
    // so the number reaches the not_digits branch; the message must not quote one of them.
    const input = '١٢٣٤٥٦٧٨٩٠١٨';
    const r = MyNumber.tryParse(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe('not_digits');
    expect(r.message).not.toMatch(/[\u0660-\u0669]/u);
  });
});
