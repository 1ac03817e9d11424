/**
 * The byte-level CSV reader every filing codec shares.
 *
 * It splits the file's BYTES, not decoded text, so each field is known by its
 * exact byte range: the merge writes a number into that range and leaves every
 * other byte as it was. This is sound for the two encodings the filing formats
 * use: in Shift_JIS (Windows-31J) a second byte lies in 0x40–0x7E or 0x80–0xFC
 * and in UTF-8 every byte of a multi-byte character is 0x80 or above, so the
 * comma (0x2C), double quote (0x22), CR (0x0D) and LF (0x0A) only ever stand
 * for themselves.
 *
 * Grammar (RFC 4180, as the 国税庁・eLTAX・日本年金機構 CSV layouts use it):
 * records end with CRLF or LF; the last record may end without one; a field is
 * either bare (no double quote inside) or wholly quoted, with "" for a quote
 * inside. A quote inside a bare field, text after a closing quote, an
 * unterminated quote or a lone CR are refused, naming the line. One DOS end-of-
 * file byte (0x1A) at the very end is tolerated and left in place.
 */
import { AppError } from './errors.js';

/** One field: [start, end) is its content, inside the quotes when quoted. */
export interface CsvField {
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
}

/**
 * One record. Its fields' ranges are kept in a flat array shared with the
 * other records of the file (start, end, quoted for each field), so that a
 * file of ten thousand rows of 144 items does not become a million objects.
 */
export class CsvRecord {
  constructor(
    /** 1-based physical line the record starts on. */
    readonly line: number,
    /** The record's bytes without its line end. */
    readonly start: number,
    readonly end: number,
    private readonly bounds: Int32Array,
  ) {}

  /** How many fields the record has. */
  get count(): number {
    return this.bounds.length / 3;
  }

  field(index: number): CsvField | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    const i = index * 3;
    return { start: this.bounds[i]!, end: this.bounds[i + 1]!, quoted: this.bounds[i + 2] === 1 };
  }

  fields(): CsvField[] {
    return Array.from({ length: this.count }, (_, i) => this.field(i)!);
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const EOF_MARK = 0x1a;

const bad = (line: number, what: string): never => {
  throw new AppError('invalid', `${line}行目：${what}ファイルが壊れているか、CSV形式ではありません。給与・労務ソフトから出力し直してください。`);
};

/**
 * Splits the file into records and fields by byte offset, starting at `from`
 * (3 past a UTF-8 byte order mark). A final empty line is not a record.
 */
export function tokenizeCsv(bytes: Uint8Array, from = 0): CsvRecord[] {
  let length = bytes.length;
  if (length > from && bytes[length - 1] === EOF_MARK) length -= 1;
  const records: CsvRecord[] = [];
  let bounds = new Int32Array(3 * 1024);
  let used = 0;
  const push = (start: number, end: number, quoted: number): void => {
    if (used + 3 > bounds.length) {
      const grown = new Int32Array(bounds.length * 2);
      grown.set(bounds);
      bounds = grown;
    }
    bounds[used] = start;
    bounds[used + 1] = end;
    bounds[used + 2] = quoted;
    used += 3;
  };
  const spans: { line: number; start: number; end: number; from: number; to: number }[] = [];
  let at = from;
  let line = 1;
  while (at < length) {
    const recordLine = line;
    const recordStart = at;
    const first = used;
    for (;;) {
      if (bytes[at] === QUOTE) {
        const start = at + 1;
        let i = start;
        for (;;) {
          if (i >= length) bad(recordLine, '引用符（"）が閉じられていません。');
          const b = bytes[i];
          if (b === QUOTE) {
            if (bytes[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            break;
          }
          if (b === LF) line += 1;
          i += 1;
        }
        push(start, i, 1);
        at = i + 1;
        const next = at < length ? bytes[at] : LF;
        if (next !== COMMA && next !== LF && next !== CR) bad(line, '引用符（"）で囲まれた項目の後に、区切りのカンマ以外の文字があります。');
      } else {
        const start = at;
        let b = bytes[at];
        while (at < length && b !== COMMA && b !== LF && b !== CR) {
          if (b === QUOTE) bad(line, '引用符（"）で囲まれていない項目の中に引用符があります。');
          at += 1;
          b = bytes[at];
        }
        push(start, at, 0);
      }
      if (at < length && bytes[at] === COMMA) {
        at += 1;
        continue;
      }
      break;
    }
    spans.push({ line: recordLine, start: recordStart, end: at, from: first, to: used });
    if (at < length && bytes[at] === CR) {
      if (bytes[at + 1] !== LF) bad(line, '改行がCRだけになっています（CRLFまたはLFが必要です）。');
      at += 1;
    }
    if (at < length && bytes[at] === LF) at += 1;
    line += 1;
  }
  for (const r of spans) records.push(new CsvRecord(r.line, r.start, r.end, bounds.subarray(r.from, r.to)));
  return records;
}

/** True when the record is an empty line (one empty bare field). */
export const isBlankRecord = (r: CsvRecord): boolean => r.count === 1 && r.field(0)!.end === r.field(0)!.start;

/** What decodes a field's bytes (a strict TextDecoder for the file's encoding). */
export interface TextDecoding {
  decode(bytes: Uint8Array): string;
}

/** Most items are ASCII (codes, amounts, dates): those read the same in every encoding, without the decoder's cost. */
function asciiText(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > 64) return undefined;
  let text = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
}

/** The text of a field, decoded with the file's decoder and with "" inside quotes undone. */
export function fieldText(bytes: Uint8Array, field: CsvField, decoder: TextDecoding): string {
  const raw = asciiText(bytes, field.start, field.end) ?? decoder.decode(bytes.subarray(field.start, field.end));
  return field.quoted ? raw.replaceAll('""', '"') : raw;
}
