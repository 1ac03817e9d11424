import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { fillSpans, type FilingKind, type NumberSpan, type ParsedFiling } from '../../src/domain/filing.js';
import { findCodec } from '../../src/domain/filing-codecs.js';
import { isUnconfirmed, NTA_KINDS, versionFor } from '../../src/domain/filing-nta-versions.js';
import { SAMPLE_EMPLOYEES, SAMPLE_PAYEES, sampleFile, sampleText, type SampleOptions } from '../helpers/filing-samples.js';
import { syntheticNumber } from '../helpers/numbers.js';

/**
 * The 法定調書 codecs read a line with the item table of the edition its 年分
 * falls in. The 源泉徴収票 and 給与支払報告書 of 令和7年分 and later follow the
 * revised record of the 令和7年度税制改正, whose number items are not
 * confirmed: those files are refused, whatever their item count, never filled
 * by the 144-item table of 令和2年分〜令和6年分.
 */
const SALARY: FilingKind[] = ['nta_salary_slip', 'eltax_salary_report'];
const OTHERS: FilingKind[] = ['nta_retirement_slip', 'nta_fees', 'nta_real_estate'];

const parse = (kind: FilingKind, bytes: Buffer): ParsedFiling => {
  const c = findCodec(kind);
  if (!c) throw new Error(`no codec for ${kind}`);
  return c.parse(bytes);
};

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const rowsFor = (kind: FilingKind) => (OTHERS.includes(kind) ? (kind === 'nta_retirement_slip' ? SAMPLE_EMPLOYEES.map((r) => ({ ...r, dependants: [] })) : SAMPLE_PAYEES) : SAMPLE_EMPLOYEES);

/** The bytes outside the spans, in order: a filled file's spans have shifted by what was written before them. */
function outside(bytes: Buffer, spans: readonly NumberSpan[], filled: boolean): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  let shift = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const start = s.start + (filled ? shift : 0);
    parts.push(bytes.subarray(at, start));
    at = start + (filled ? s.digits : s.end - s.start);
    shift += s.digits - (s.end - s.start);
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

function fillAll(kind: FilingKind, opts: SampleOptions) {
  const bytes = sampleFile(kind, rowsFor(kind), opts);
  const parsed = parse(kind, bytes);
  const spans = parsed.rows.flatMap((r) => [...r.spans, ...r.dependants.map((d) => d.span)]);
  const filled = fillSpans(
    bytes,
    spans.map((span, i) => ({ span, value: Buffer.from(span.digits === 13 ? `9${syntheticNumber(i, 7)}` : syntheticNumber(i, 7), 'ascii') })),
  );
  return { bytes, parsed, spans, filled };
}

describe('the editions of the 法定調書 records', () => {
  it('cover each kind’s 令和 years without gap or overlap, oldest first', () => {
    for (const kind of NTA_KINDS) {
      for (let i = 1; i < kind.versions.length; i++) expect(kind.versions[i]!.from).toBe(kind.versions[i - 1]!.to! + 1);
      expect(versionFor(kind, 2026)).toBeDefined();
    }
  });

  it('hold no item table for the 源泉徴収票 and 給与支払報告書 of 令和7年分 and later, whose number items are unconfirmed', () => {
    for (const code of ['375', '315']) {
      const kind = NTA_KINDS.find((k) => k.code === code)!;
      expect(isUnconfirmed(versionFor(kind, 2024)!.layout)).toBe(false);
      expect(isUnconfirmed(versionFor(kind, 2025)!.layout)).toBe(true);
      expect(isUnconfirmed(versionFor(kind, 2026)!.layout)).toBe(true);
    }
  });
});

describe.each(SALARY)('%s by 年分', (kind) => {
  it.each([2020, 2023, 2024])('reads a %i file with the 144-item table and fills only its number fields', (year) => {
    const { bytes, parsed, spans, filled } = fillAll(kind, { year });
    expect(parsed.year).toBe(year);
    expect(parsed.rows.map((r) => r.name)).toEqual(SAMPLE_EMPLOYEES.map((r) => r.name));
    expect(spans).toHaveLength(3 + 3);
    expect(outside(filled, spans, true).equals(outside(bytes, spans, false))).toBe(true);
  });

  it('refuses a 令和8年分 file laid out in the 144 items of 令和6年分, naming the line and the 年分, rather than filling it', () => {
    const err = refusal(() => parse(kind, sampleFile(kind, SAMPLE_EMPLOYEES, { year: 2026 })));
    expect(err.code).toBe('invalid');
    expect(err.publicMessage).toMatch(/^1行目の11項目目「年分」：令和8年分の「[^」]+」：この年分の記録は、令和7年度税制改正（特定親族特別控除の創設など）で改められた様式のものです。/u);
    expect(err.publicMessage).toContain('番号を記入できません');
  });

  it('refuses a revised (longer) 令和7年分 record by its edition, not as a broken file', () => {
    const err = refusal(() => parse(kind, sampleFile(kind, SAMPLE_EMPLOYEES, { year: 2025, extraItems: 6 })));
    expect(err.publicMessage).toMatch(/^1行目の11項目目「年分」：令和7年分の「[^」]+」：この年分の記録は、令和7年度税制改正/u);
    expect(err.publicMessage).not.toMatch(/項目が150個あります/u);
  });

  it('refuses a 令和元年分 file, whose record was laid out before the items of 令和2年分, naming the years it reads', () => {
    const err = refusal(() => parse(kind, sampleFile(kind, SAMPLE_EMPLOYEES, { year: 2019 })));
    expect(err.publicMessage).toMatch(/^1行目の11項目目「年分」：令和元年分の「[^」]+」の記録様式には対応していません（読み込めるのは令和2年分〜令和6年分です）/u);
  });

  it('still refuses a 144-item table file with one more item, as a record of another edition', () => {
    const err = refusal(() => parse(kind, sampleFile(kind, SAMPLE_EMPLOYEES, { year: 2024, extraItems: 1 })));
    expect(err.publicMessage).toMatch(/^1行目：項目が145個あります。/u);
  });

  it('refuses a file whose lines name two 年分, at the second', () => {
    const text = [sampleText(kind, SAMPLE_EMPLOYEES.slice(0, 1), { year: 2024 }), sampleText(kind, SAMPLE_EMPLOYEES.slice(1, 2), { year: 2026 })].join('');
    expect(refusal(() => parse(kind, iconv.encode(text, 'cp932'))).publicMessage).toMatch(/^2行目の11項目目「年分」：1つのファイルの中ではすべての行が同じ年分/u);
  });
});

describe.each(OTHERS)('%s by 年分', (kind) => {
  it.each([2019, 2024, 2025, 2026])('reads a %i file with its one table and fills only its number fields', (year) => {
    const { bytes, parsed, spans, filled } = fillAll(kind, { year });
    expect(parsed.year).toBe(year);
    expect(spans).toHaveLength(3);
    expect(outside(filled, spans, true).equals(outside(bytes, spans, false))).toBe(true);
  });
});

describe('a record too short to carry a 年分', () => {
  it('is refused by its item count before the 年分 is read', () => {
    const err = refusal(() => parse('nta_salary_slip', iconv.encode('375,0123456789,,東京都\r\n', 'cp932')));
    expect(err.code).toBe('invalid');
    expect(err.publicMessage).toMatch(/^1行目：項目が4個しかありません。/u);
  });
});
