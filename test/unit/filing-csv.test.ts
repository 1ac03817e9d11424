import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { fieldText, tokenizeCsv } from '../../src/domain/filing-csv.js';

const sjis = new TextDecoder('shift_jis', { fatal: true });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.publicMessage;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the byte-offset CSV reader of the filing codecs', () => {
  it('names each field by the byte range of its content, inside the quotes when quoted', () => {
    const bytes = Buffer.from('ab,"c""d",,\r\n"",x\n', 'latin1');
    const records = tokenizeCsv(bytes);
    expect(records.map((r) => r.line)).toEqual([1, 2]);
    expect(records[0]!.fields().map((f) => [f.start, f.end, f.quoted])).toEqual([
      [0, 2, false],
      [4, 8, true],
      [10, 10, false],
      [11, 11, false],
    ]);
    expect(fieldText(bytes, records[0]!.field(1)!, new TextDecoder())).toBe('c"d');
    expect(records[1]!.fields().map((f) => [f.start, f.end, f.quoted])).toEqual([
      [14, 14, true],
      [16, 17, false],
    ]);
  });

  it('keeps Shift_JIS characters whole: no second byte is ever read as a comma, quote or line end', () => {
    // ソ (0x83 0x5C) and 表 (0x95 0x5C) end in the byte of a backslash; every second byte lies above 0x3F.
    const text = 'ソフト表,"能力,申請",ﾃｽﾄ\r\n';
    const bytes = iconv.encode(text, 'cp932');
    const [record] = tokenizeCsv(bytes);
    expect(record!.fields().map((f) => fieldText(bytes, f, sjis))).toEqual(['ソフト表', '能力,申請', 'ﾃｽﾄ']);
  });

  it('reads a last line without a line end, and leaves one DOS end-of-file byte alone', () => {
    const bytes = Buffer.from('a,b\r\nc,d\x1a', 'latin1');
    const records = tokenizeCsv(bytes);
    expect(records).toHaveLength(2);
    expect(records[1]!.field(1)).toEqual({ start: 7, end: 8, quoted: false });
  });

  it('refuses an unterminated quote, naming the line where the record starts', () => {
    expect(message(() => tokenizeCsv(Buffer.from('a,b\r\nc,"d\r\ne\r\n')))).toMatch(/^2行目：引用符/u);
  });

  it('refuses a quote inside a bare field, text after a closing quote and a lone CR, each by line', () => {
    expect(message(() => tokenizeCsv(Buffer.from('a\r\nb"c\r\n')))).toMatch(/^2行目/u);
    expect(message(() => tokenizeCsv(Buffer.from('"a"b\r\n')))).toMatch(/^1行目/u);
    expect(message(() => tokenizeCsv(Buffer.from('a\r\nb\rc\r\n')))).toMatch(/^2行目.*CR/u);
  });

  it('starts after a byte order mark when told to', () => {
    const bytes = Buffer.from('\ufeffa,b\n', 'utf8');
    expect(tokenizeCsv(bytes, 3)[0]!.field(0)).toEqual({ start: 3, end: 4, quoted: false });
  });
});
