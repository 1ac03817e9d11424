import iconv from 'iconv-lite';
import { isUtf8 } from 'node:buffer';

export type CsvEncoding = 'UTF-8' | 'UTF-8 (BOM)' | 'Shift_JIS';

/**
 * Detects the encoding of an uploaded CSV: a UTF-8 BOM, else strict UTF-8,
 * else Shift_JIS (Windows-31J, as Excel writes it in Japan).
 */
export function detectEncoding(bytes: Uint8Array): CsvEncoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'UTF-8 (BOM)';
  // Not valid UTF-8: the only other encoding offices send us is Shift_JIS.
  return isUtf8(bytes) ? 'UTF-8' : 'Shift_JIS';
}

/** Decodes (a part of) a file in the encoding detected for the whole of it; a BOM at its start is dropped. */
export function decodeAs(bytes: Uint8Array, encoding: CsvEncoding): string {
  if (encoding === 'Shift_JIS') return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'cp932');
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return new TextDecoder('utf-8', { fatal: false }).decode(bom ? bytes.subarray(3) : bytes);
}

export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  const encoding = detectEncoding(bytes);
  return { text: decodeAs(bytes, encoding), encoding };
}
