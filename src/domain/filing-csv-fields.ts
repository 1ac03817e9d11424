/**
 * A CSV file read field by field with the byte range of each field's content,
 * for codecs that must later write into exactly those bytes (RFC 4180: comma,
 * double quotes doubled inside quoted fields, CRLF or LF). The delimiters are
 * ASCII below 0x40, which is never the second byte of a Shift_JIS character,
 * so the same byte scan serves UTF-8 and Shift_JIS; each field is decoded
 * after it is cut out.
 */
import { AppError } from './errors.js';

export interface CsvField {
  /** Content bytes [start, end): inside the quotes for a quoted field. */
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
  readonly text: string;
}

export interface CsvRecord {
  /** 1-based physical line the record starts on. */
  readonly line: number;
  readonly fields: readonly CsvField[];
}

export type CsvEncoding = 'utf8' | 'shift_jis';

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** A UTF-8 BOM, else strict UTF-8, else Shift_JIS (Windows-31J, as Excel writes it in Japan). */
export function detectEncoding(bytes: Buffer): { encoding: CsvEncoding; bodyStart: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf8', bodyStart: 3 };
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { encoding: 'utf8', bodyStart: 0 };
  } catch {
    return { encoding: 'shift_jis', bodyStart: 0 };
  }
}

/** The WHATWG Shift_JIS decoder is Windows-31J (cp932, as Excel writes it in Japan); one instance serves every field. */
const SHIFT_JIS = new TextDecoder('shift_jis');

/** ASCII reads the same in both encodings, and most fields (codes, dates, amounts, empty number fields) are ASCII. */
function decode(bytes: Buffer, encoding: CsvEncoding): string {
  if (bytes.length === 0) return '';
  if (encoding === 'utf8') return bytes.toString('utf8');
  for (const b of bytes) if (b >= 0x80) return SHIFT_JIS.decode(bytes);
  return bytes.toString('latin1');
}

/**
 * Every record of the file. A quoted field's text has its doubled quotes
 * undone, but its span still covers the raw bytes between the quotes: a codec
 * only writes into a span whose field holds no quote. Throws 'invalid' naming
 * the line when a quote is not closed or text follows a closing quote.
 */
export function readCsvRecords(bytes: Buffer, encoding: CsvEncoding, from: number): CsvRecord[] {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const startLine = line;
    const fields: CsvField[] = [];
    for (;;) {
      if (bytes[i] === QUOTE) {
        const start = i + 1;
        let j = start;
        let raw = false;
        for (;;) {
          if (j >= n) throw new AppError('invalid', `${startLine}行目: 「"」で始まる欄が閉じられていません。ファイルが途中で切れていないか確認してください。`);
          if (bytes[j] === QUOTE) {
            if (bytes[j + 1] === QUOTE) {
              raw = true;
              j += 2;
              continue;
            }
            break;
          }
          if (bytes[j] === LF) line++;
          j++;
        }
        const text = decode(bytes.subarray(start, j), encoding);
        fields.push({ start, end: j, quoted: true, text: raw ? text.replace(/""/gu, '"') : text });
        i = j + 1;
        if (i < n && bytes[i] !== COMMA && bytes[i] !== CR && bytes[i] !== LF) throw new AppError('invalid', `${line}行目: 「"」で閉じた欄の後に文字があります。CSVの形を確認してください。`);
      } else {
        const start = i;
        while (i < n && bytes[i] !== COMMA && bytes[i] !== CR && bytes[i] !== LF) i++;
        fields.push({ start, end: i, quoted: false, text: decode(bytes.subarray(start, i), encoding) });
      }
      if (i < n && bytes[i] === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (bytes[i] === CR) i++;
    if (bytes[i] === LF) i++;
    line++;
    // A blank line (one empty unquoted field) is not a record.
    if (!(fields.length === 1 && fields[0]!.start === fields[0]!.end && !fields[0]!.quoted)) records.push({ line: startLine, fields });
  }
  return records;
}
