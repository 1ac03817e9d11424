import { describe, expect, it } from 'vitest';
import { corporateNumberCheckDigit } from '../../src/domain/corporate-number.js';
import { AppError } from '../../src/domain/errors.js';
import { fillSpans, type FilingKind, type NumberSpan, type ParsedFiling } from '../../src/domain/filing.js';
import { FILING_CODECS, findCodec } from '../../src/domain/filing-codecs.js';
import { isProvisionChannel, isProvisionDestination } from '../../src/domain/provision.js';
import { isPurposeCode } from '../../src/domain/purposes.js';
import { SAMPLE_EMPLOYEES, SAMPLE_PAYEES, sampleFile, type SampleOptions, type SampleRow } from '../helpers/filing-samples.js';
import { syntheticNumber } from '../helpers/numbers.js';

const OFFICIAL: FilingKind[] = ['nta_salary_slip', 'nta_retirement_slip', 'nta_fees', 'nta_real_estate', 'eltax_salary_report', 'egov_acquisition', 'egov_loss'];
const PAYEE_KINDS: FilingKind[] = ['nta_fees', 'nta_real_estate'];

const codec = (kind: FilingKind) => findCodec(kind) ?? raise(kind);
const raise = (kind: string): never => {
  throw new Error(`no codec for ${kind}`);
};

/** A valid synthetic 法人番号. */
function corporateNumber(i: number): string {
  const base = String(900_000_000_000 + i);
  return String(corporateNumberCheckDigit(base)) + base;
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

function allSpans(parsed: ParsedFiling): NumberSpan[] {
  return parsed.rows.flatMap((r) => [...r.spans, ...r.dependants.map((d) => d.span)]);
}

/** The file's bytes outside the spans, in order; for a filled file, the spans' positions shift by what was written. */
function outside(bytes: Buffer, spans: NumberSpan[], filled: boolean): Buffer {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let at = 0;
  let shift = 0;
  for (const s of sorted) {
    const start = s.start + (filled ? shift : 0);
    parts.push(bytes.subarray(at, start));
    at = start + (filled ? s.digits : s.end - s.start);
    shift += s.digits - (s.end - s.start);
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

function rowsFor(kind: FilingKind): SampleRow[] {
  if (PAYEE_KINDS.includes(kind)) return SAMPLE_PAYEES;
  if (kind.startsWith('egov') || kind === 'nta_retirement_slip') return SAMPLE_EMPLOYEES.map((r) => ({ ...r, dependants: [] }));
  return SAMPLE_EMPLOYEES;
}

function roundTrip(kind: FilingKind, opts: SampleOptions = {}) {
  const bytes = sampleFile(kind, rowsFor(kind), opts);
  const parsed = codec(kind).parse(bytes);
  const spans = allSpans(parsed);
  const values = spans.map((s, i) => (s.digits === 13 ? corporateNumber(i) : syntheticNumber(i, 3)));
  const filled = fillSpans(
    bytes,
    spans.map((span, i) => ({ span, value: Buffer.from(values[i]!, 'ascii') })),
  );
  return { bytes, parsed, spans, values, filled };
}

describe('the official filing codecs', () => {
  it('are all registered, each naming its specification, purpose, destination and channel', () => {
    for (const kind of OFFICIAL) {
      const c = codec(kind);
      expect(FILING_CODECS.filter((x) => x.kind === kind)).toHaveLength(1);
      expect(c.spec.title.length).toBeGreaterThan(10);
      expect(c.spec.edition.length).toBeGreaterThan(5);
      expect(c.spec.publisher).toMatch(/国税庁|総務省|日本年金機構/u);
      expect(isPurposeCode(c.purpose)).toBe(true);
      expect(isProvisionDestination(c.destination)).toBe(true);
      expect(isProvisionChannel(c.channel)).toBe(true);
    }
  });

  it.each(OFFICIAL)('%s: reads who each row is about and where each number goes', (kind) => {
    const { parsed } = roundTrip(kind);
    const rows = rowsFor(kind);
    expect(parsed.kind).toBe(kind);
    expect(parsed.encoding).toBe('shift_jis');
    expect(parsed.rows.map((r) => r.name)).toEqual(rows.map((r) => r.name));
    expect(parsed.rows.map((r) => r.line)).toEqual(kind.startsWith('egov') ? [6, 7, 8] : [1, 2, 3]);
    if (kind.startsWith('nta') || kind.startsWith('eltax')) expect(parsed.year).toBe(2024);
    if (kind === 'nta_salary_slip' || kind === 'eltax_salary_report' || kind.startsWith('egov')) {
      expect(parsed.rows.map((r) => r.birthDate)).toEqual(rows.map((r) => r.birth));
      expect(parsed.rows.map((r) => r.kana)).toEqual(rows.map((r) => r.kana.normalize('NFKC')));
    }
    if (kind === 'nta_salary_slip' || kind === 'eltax_salary_report') {
      expect(parsed.rows.map((r) => r.employeeCode)).toEqual(['E001', 'E002', undefined]);
      expect(parsed.rows[0]!.dependants.map((d) => [d.name, d.kana])).toEqual([
        ['佐藤　花子', 'サトウ ハナコ'],
        ['佐藤　一郎', 'サトウ イチロウ'],
        ['佐藤　さくら', 'サトウ サクラ'],
      ]);
    }
    for (const row of parsed.rows) expect(row.spans).toHaveLength(1);
  });

  it.each(OFFICIAL)('%s: filling the spans changes those bytes only, and the filled file is refused as already filled', (kind) => {
    const { bytes, spans, values, filled } = roundTrip(kind);
    expect(filled.length).toBe(bytes.length + spans.reduce((n, s) => n + s.digits - (s.end - s.start), 0));
    expect(outside(filled, spans, true).equals(outside(bytes, spans, false))).toBe(true);
    const tampered = Buffer.from(filled);
    tampered[0] = tampered[0]! ^ 1;
    expect(outside(tampered, spans, true).equals(outside(bytes, spans, false))).toBe(false);
    for (const v of values) expect(filled.includes(Buffer.from(v, 'ascii'))).toBe(true);
    const err = refusal(() => codec(kind).parse(filled));
    expect(err.code).toBe('conflict');
    expect(err.publicMessage).toMatch(/^\d+行目の\d+項目目「[^」]*番号[^」]*」には、すでに数字が入っています/u);
    for (const v of values) expect(err.publicMessage).not.toContain(v);
  });

  it('keeps every byte outside the spans when every field is quoted and the payer’s address holds a quote and a comma', () => {
    const { bytes, spans, filled, parsed } = roundTrip('nta_salary_slip', { quoted: true });
    expect(spans.every((s) => bytes[s.start - 1] === 0x22)).toBe(true);
    expect(parsed.rows).toHaveLength(3);
    expect(outside(filled, spans, true).equals(outside(bytes, spans, false))).toBe(true);
  });

  it('reads LF line ends as well as CRLF', () => {
    const { parsed } = roundTrip('egov_loss', { lineEnd: '\n' });
    expect(parsed.rows).toHaveLength(3);
  });

  it('gives a placeholder of the field width a span over the placeholder, so the number replaces it', () => {
    const bytes = sampleFile('nta_salary_slip', SAMPLE_EMPLOYEES);
    const span = codec('nta_salary_slip').parse(bytes).rows[1]!.spans[0]!;
    expect(bytes.subarray(span.start, span.end).toString('latin1')).toBe('************');
    for (const placeholder of ['0', ' '] as const) {
      const b = sampleFile('egov_acquisition', [{ ...SAMPLE_EMPLOYEES[2]!, placeholder }]);
      const s = codec('egov_acquisition').parse(b).rows[0]!.spans[0]!;
      expect(s.end - s.start).toBe(12);
    }
  });

  it('gives a 法人 payee a 13-digit span: by its name when the field is empty, by a 13-wide placeholder otherwise', () => {
    for (const kind of PAYEE_KINDS) {
      const rows = codec(kind).parse(sampleFile(kind, SAMPLE_PAYEES)).rows;
      expect(rows.map((r) => [r.corporate, r.spans[0]!.digits])).toEqual([
        [false, 12],
        [true, 13],
        [true, 13],
      ]);
    }
  });

  it('skips a non-resident dependant (区分 01), who is given no number field to fill', () => {
    const row: SampleRow = { ...SAMPLE_EMPLOYEES[2]!, dependants: [{ name: '高橋　マリア', kana: 'ﾀｶﾊｼ ﾏﾘｱ', slot: 'dependant', nonResident: true }] };
    expect(codec('nta_salary_slip').parse(sampleFile('nta_salary_slip', [row])).rows[0]!.dependants).toEqual([]);
  });

  it('reads the eLTAX file in UTF-8, with or without a byte order mark', () => {
    for (const encoding of ['utf8', 'utf8-bom'] as const) {
      const { parsed, bytes, spans, filled } = roundTrip('eltax_salary_report', { encoding });
      expect(parsed.encoding).toBe('utf8');
      expect(parsed.rows.map((r) => r.name)).toEqual(SAMPLE_EMPLOYEES.map((r) => r.name));
      expect(outside(filled, spans, true).equals(outside(bytes, spans, false))).toBe(true);
    }
  });
});

describe('the size of a filing season', () => {
  it('reads a 10,000-row 源泉徴収票 file, finding every number field, in well under the merge’s 5-second budget', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => SAMPLE_EMPLOYEES[i % SAMPLE_EMPLOYEES.length]!);
    const bytes = sampleFile('nta_salary_slip', rows);
    const started = performance.now();
    const parsed = codec('nta_salary_slip').parse(bytes);
    const elapsed = performance.now() - started;
    expect(parsed.rows).toHaveLength(10_000);
    expect(allSpans(parsed)).toHaveLength(10_000 + Math.ceil(10_000 / 3) * 3);
    expect(elapsed).toBeLessThan(4_000);
  });
});
