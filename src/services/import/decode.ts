import iconv from 'iconv-lite';

export type CsvEncoding = 'UTF-8' | 'UTF-8 (BOM)' | 'Shift_JIS';

/**
 * Detects the encoding of an uploaded CSV: a UTF-8 BOM, else strict UTF-8,
 * else Shift_JIS (Windows-31J, as Excel writes it in Japan).
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(3)), encoding: 'UTF-8 (BOM)' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'UTF-8' };
  } catch {
    // Not valid UTF-8: the only other encoding offices send us is Shift_JIS.
    return { text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'cp932'), encoding: 'Shift_JIS' };
  }
}
