/**
 * What the official-format codecs share once the bytes are split: the file's
 * encoding, reading a field by position with a message that names the line and
 * the field, the number span of an empty or placeholder field, 和暦 dates given
 * as an era code and two-digit parts, and the kana and 法人 checks.
 *
 * Messages never quote a field's content: a number field, or a field in the
 * wrong place, may hold a My Number.
 */
import { AppError } from './errors.js';
import { parseDate } from './dates.js';
import { fieldText, type CsvField, type CsvRecord, type TextDecoding } from './filing-csv.js';
import type { NumberSpan } from './filing.js';

export type FilingEncoding = 'shift_jis' | 'utf8';

export interface FilingText {
  readonly encoding: FilingEncoding;
  readonly decoder: TextDecoding;
  /** Where the records start: 3 after a UTF-8 byte order mark, else 0. */
  readonly from: number;
}

const SJIS = () => new TextDecoder('shift_jis', { fatal: true });
const UTF8 = () => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function firstUndecodableLine(bytes: Uint8Array, decoder: TextDecoding): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line += 1;
      start = i + 1;
    }
  }
  return 1;
}

const hasHighByte = (bytes: Uint8Array): boolean => bytes.some((b) => b >= 0x80);

/**
 * Finds the file's encoding among those its specification allows. A file that
 * is plain ASCII reads the same in both. UTF-8 is recognised by its byte order
 * mark or by decoding strictly; anything else must be valid Shift_JIS
 * (Windows-31J, as the WHATWG decoder reads it).
 */
export function decodeFiling(bytes: Uint8Array, allowed: readonly FilingEncoding[], label: string): FilingText {
  if (bytes.length === 0) throw new AppError('invalid', `ファイルが空です。${label}のCSVファイルを選んでください。`);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let utf8 = bom;
  if (!utf8 && hasHighByte(bytes)) {
    try {
      UTF8().decode(bytes);
      utf8 = true;
    } catch {
      utf8 = false;
    }
  }
  if (utf8) {
    if (!allowed.includes('utf8')) {
      throw new AppError(
        'invalid',
        `ファイルがUTF-8で保存されていますが、${label}の仕様ではShift_JISです。給与・労務ソフトが出力したファイルをそのまま（表計算ソフトで保存し直さずに）選んでください。`,
      );
    }
    return { encoding: 'utf8', decoder: UTF8(), from: bom ? 3 : 0 };
  }
  if (!allowed.includes('shift_jis')) {
    throw new AppError('invalid', `${label}はUTF-8で保存されている必要があります。ファイルの文字コードを確認してください。`);
  }
  try {
    SJIS().decode(bytes);
  } catch {
    const line = firstUndecodableLine(bytes, SJIS());
    throw new AppError('invalid', `${line}行目：Shift_JISとして読めない文字があります。ファイルが壊れているか、別の文字コードです。給与・労務ソフトから出力し直してください。`);
  }
  return { encoding: 'shift_jis', decoder: SJIS(), from: 0 };
}

/** A record read by position: each access names the field for the message. */
export class FieldReader {
  constructor(
    private readonly bytes: Uint8Array,
    readonly record: CsvRecord,
    private readonly decoder: TextDecoding,
  ) {}

  get line(): number {
    return this.record.line;
  }

  field(index: number): CsvField {
    const f = this.record.field(index);
    if (!f) throw new AppError('internal', 'field index outside the checked record');
    return f;
  }

  text(index: number): string {
    return fieldText(this.bytes, this.field(index), this.decoder);
  }

  /** The field's text with surrounding half- and full-width spaces removed. */
  trimmed(index: number): string {
    return this.text(index).replace(/^[ \u3000]+|[ \u3000]+$/gu, '');
  }

  /** Throws 'invalid' naming the line and field: `expected` says what the field must hold. */
  refuse(index: number, name: string, expected: string): never {
    throw new AppError('invalid', `${this.line}行目の${index + 1}項目目「${name}」：${expected}`);
  }

  /** The field must match `pattern`; the text is returned. */
  expect(index: number, name: string, pattern: RegExp, expected: string): string {
    const t = this.text(index);
    if (!pattern.test(t)) this.refuse(index, name, expected);
    return t;
  }
}

/** Placeholders accepted in a number field, each exactly the number's width. */
export const PLACEHOLDER_CHARS = ['*', '0', ' '] as const;

const isPlaceholder = (t: string, width: number): boolean => t.length === width && PLACEHOLDER_CHARS.some((c) => t === c.repeat(width));

/**
 * The span of a number field that is empty or holds a placeholder (12 or 13
 * times '*', '0' or a half-width space). A field that already holds other
 * digits, half- or full-width, is refused as 'conflict' (the merge never overwrites a number); any
 * other content is refused as 'invalid'.
 */
export function numberSpan(r: FieldReader, index: number, name: string, digits: 12 | 13, allowOther?: 12 | 13): NumberSpan {
  const f = r.field(index);
  const t = r.text(index);
  if (t.length === 0) return { start: f.start, end: f.start, digits };
  if (isPlaceholder(t, digits)) return { start: f.start, end: f.end, digits };
  if (allowOther && isPlaceholder(t, allowOther)) return { start: f.start, end: f.end, digits: allowOther };
  if (/^[0-9０-９]+$/u.test(t)) {
    throw new AppError(
      'conflict',
      `${r.line}行目の${index + 1}項目目「${name}」には、すでに数字が入っています。番号は上書きしないため、この欄を空欄にして（または仮置きの「*」にして）出力し直してください。`,
    );
  }
  return r.refuse(index, name, `空欄か、${digits}桁の仮置き（「*」「0」または半角空白を${digits}個）が必要です。`);
}

/**
 * A date written as an era name and 1- or 2-digit year, month and day (the
 * filing formats' 和暦 fields), as ISO; undefined when it is no real date of
 * that era. The era table itself lives in dates.ts.
 */
export function warekiDate(era: string, year: string, month: string, day: string): string | undefined {
  if (!/^\d{1,2}$/u.test(year) || !/^\d{1,2}$/u.test(month) || !/^\d{1,2}$/u.test(day)) return undefined;
  return parseDate(`${era}${Number(year)}年${Number(month)}月${Number(day)}日`);
}

/** Katakana (half- or full-width), the prolonged sound mark and spaces: what a フリガナ field may hold. */
export const KANA = /^[\uFF61-\uFF9F\u30A0-\u30FF \u3000]*$/u;

/** The kana as the appliance keeps it: full-width, single spaces (NFKC turns half-width katakana into full-width). */
export const normaliseKana = (kana: string): string => kana.normalize('NFKC').replace(/\s+/gu, ' ').trim();

/**
 * Words that mark a payee's name as a 法人 or other body with a 法人番号
 * (会社法 6条 trade-name words, the 一般社団・財団法人法 and special-law
 * corporations, and the common abbreviations). A payee without one is taken
 * as an individual; the merge refuses a row whose matched person is of the
 * other kind, so a miss cannot put a 個人番号 where a 法人番号 belongs.
 */
const CORPORATE_WORDS = [
  '株式会社',
  '有限会社',
  '合同会社',
  '合資会社',
  '合名会社',
  '相互会社',
  '一般社団法人',
  '一般財団法人',
  '公益社団法人',
  '公益財団法人',
  '医療法人',
  '社会福祉法人',
  '学校法人',
  '宗教法人',
  '特定非営利活動法人',
  'ＮＰＯ法人',
  'NPO法人',
  '税理士法人',
  '弁護士法人',
  '司法書士法人',
  '行政書士法人',
  '社会保険労務士法人',
  '監査法人',
  '弁理士法人',
  '土地家屋調査士法人',
  '独立行政法人',
  '国立大学法人',
  '地方独立行政法人',
  '協同組合',
  '信用金庫',
  '農業協同組合',
  '（株）',
  '(株)',
  '㈱',
  '（有）',
  '(有)',
  '㈲',
  '（同）',
  '(同)',
  '（一社）',
  '(一社)',
  '（一財）',
  '(一財)',
];

export const looksCorporate = (name: string): boolean => CORPORATE_WORDS.some((w) => name.includes(w));
