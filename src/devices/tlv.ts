/**
 * BER-TLV as smart cards use it (ISO 7816-4 §5.2, ISO 8825-1): tags of one or
 * more bytes, lengths in short form or 81 xx / 82 xx xx. Pure code.
 */

export interface Tlv {
  /** The tag bytes as one number (e.g. 0xFF20, 0xDF22, 0x5F4E). */
  tag: number;
  value: Uint8Array;
  /** The whole element, tag and length included. */
  raw: Uint8Array;
}

export class TlvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlvError';
  }
}

/** The size of the element starting at `bytes[0]`, from its header alone; undefined if the header is incomplete. */
export function tlvTotalLength(bytes: Uint8Array): number | undefined {
  const h = readHeader(bytes, 0);
  return h === undefined ? undefined : h.headerLength + h.length;
}

/** Decodes one element at `offset`. Throws TlvError when it runs past the end. */
export function decodeTlv(bytes: Uint8Array, offset = 0): Tlv {
  const h = readHeader(bytes, offset);
  if (h === undefined) throw new TlvError('TLV header runs past the end');
  const start = offset + h.headerLength;
  const end = start + h.length;
  if (end > bytes.length) throw new TlvError('TLV value runs past the end');
  return { tag: h.tag, value: bytes.subarray(start, end), raw: bytes.subarray(offset, end) };
}

/** Decodes consecutive elements filling `bytes` (padding of 00 or FF after the last is ignored). */
export function decodeTlvList(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes.subarray(i).every((b) => b === 0x00 || b === 0xff)) break;
    const t = decodeTlv(bytes, i);
    out.push(t);
    i += t.raw.length;
  }
  return out;
}

export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const tagBytes: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) tagBytes.unshift(t & 0xff);
  if (tagBytes.length === 0) tagBytes.push(0);
  const n = value.length;
  const len = n < 0x80 ? [n] : n <= 0xff ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  if (n > 0xffff) throw new TlvError('TLV value too long');
  const out = new Uint8Array(tagBytes.length + len.length + n);
  out.set(tagBytes, 0);
  out.set(len, tagBytes.length);
  out.set(value, tagBytes.length + len.length);
  return out;
}

function readHeader(bytes: Uint8Array, offset: number): { tag: number; headerLength: number; length: number } | undefined {
  let i = offset;
  if (i >= bytes.length) return undefined;
  let tag = bytes[i++]!;
  if ((tag & 0x1f) === 0x1f) {
    let b: number;
    do {
      if (i >= bytes.length) return undefined;
      b = bytes[i++]!;
      tag = tag * 256 + b;
      if (i - offset > 4) throw new TlvError('TLV tag longer than 4 bytes');
    } while (b & 0x80);
  }
  if (i >= bytes.length) return undefined;
  const first = bytes[i++]!;
  let length: number;
  if (first < 0x80) length = first;
  else if (first === 0x81 || first === 0x82) {
    const k = first & 0x7f;
    if (i + k > bytes.length) return undefined;
    length = 0;
    for (let j = 0; j < k; j++) length = length * 256 + bytes[i++]!;
  } else throw new TlvError('unsupported TLV length form');
  return { tag, headerLength: i - offset, length };
}
