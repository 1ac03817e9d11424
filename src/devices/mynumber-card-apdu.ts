/**
 * The ISO 7816-4 commands the appliance sends to a 個人番号カード's 券面事項入力補助AP,
 * and the reading of their status words. Pure code: bytes out, values in.
 * Layout and sources: docs/mynumber-card.md.
 *
 *   SELECT AP     00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08
 *   SELECT EF     00 A4 02 0C 02 <EF id, 2 bytes>
 *   VERIFY        00 20 00 80 [04 <4 ASCII digits>]   (no data: ask the tries left, spends none)
 *   READ BINARY   00 B0 <offset, 2 bytes> <Le>   (Le 00: up to 256 bytes)
 */

/** 券面事項入力補助AP (the card-surface input-assistance application). */
export const KENHOJO_AID = Uint8Array.from([0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]);

/** Elementary files of the 券面事項入力補助AP used here. */
export const KENHOJO_EF = {
  /** 個人番号 (read after VERIFY). */
  myNumber: 0x0001,
  /** 基本4情報: name, address, birth date, sex (read after VERIFY). */
  basicFour: 0x0002,
  /** Hashes of the two EFs above and the issuer's signature over them (read after VERIFY). */
  signature: 0x0003,
  /** The certificate whose public key checks that signature. */
  certificate: 0x0004,
  /** 券面事項入力補助用暗証番号 (4 digits). */
  pin: 0x0011,
} as const;

export const SW_OK = 0x9000;

export function selectApCommand(): Uint8Array {
  return Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, KENHOJO_AID.length, ...KENHOJO_AID]);
}

export function selectEfCommand(ef: number): Uint8Array {
  return Uint8Array.from([0x00, 0xa4, 0x02, 0x0c, 0x02, (ef >> 8) & 0xff, ef & 0xff]);
}

/** VERIFY without data: the card answers 63 Cx with the tries left and counts nothing. */
export function verifyStatusCommand(): Uint8Array {
  return Uint8Array.from([0x00, 0x20, 0x00, 0x80]);
}

/**
 * VERIFY with the 4-digit PIN as ASCII. The returned buffer holds the PIN:
 * the caller zeroes it once sent.
 */
export function verifyPinCommand(pinDigits: Uint8Array): Uint8Array {
  if (pinDigits.length !== 4 || pinDigits.some((d) => d < 0x30 || d > 0x39)) {
    throw new RangeError('the card PIN must be 4 ASCII digits');
  }
  const apdu = new Uint8Array(9);
  apdu.set([0x00, 0x20, 0x00, 0x80, 0x04], 0);
  apdu.set(pinDigits, 5);
  return apdu;
}

/** READ BINARY of up to `length` bytes (1-256; 256 is sent as Le 00) at `offset` (0-32767) of the selected EF. */
export function readBinaryCommand(offset: number, length: number): Uint8Array {
  if (offset < 0 || offset > 0x7fff) throw new RangeError('READ BINARY offset out of range');
  if (length < 1 || length > 0x100) throw new RangeError('READ BINARY length must be 1-256');
  return Uint8Array.from([0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, length & 0xff]);
}

export interface CardResponse {
  data: Uint8Array;
  sw: number;
}

/** Splits a response APDU into data and the status word (SW1 SW2). */
export function parseResponse(bytes: Uint8Array): CardResponse {
  if (bytes.length < 2) throw new CardProtocolError('short_response', 'the card answered fewer than 2 bytes');
  const n = bytes.length;
  return { data: bytes.subarray(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

/** What a VERIFY status word says about the PIN. */
export type PinState =
  | { kind: 'verified' }
  | { kind: 'tries_left'; left: number }
  | { kind: 'locked' };

/**
 * 90 00 verified; 63 Cx x tries left (x = 0 means locked); 69 83 or 69 84
 * blocked (only the 市区町村 can reset it). Anything else is a protocol error.
 */
export function readPinState(sw: number): PinState {
  if (sw === SW_OK) return { kind: 'verified' };
  if ((sw & 0xfff0) === 0x63c0) {
    const left = sw & 0x0f;
    return left === 0 ? { kind: 'locked' } : { kind: 'tries_left', left };
  }
  if (sw === 0x6983 || sw === 0x6984) return { kind: 'locked' };
  throw new CardProtocolError('unexpected_status', `unexpected status ${hexSw(sw)} to VERIFY`);
}

export function hexSw(sw: number): string {
  return sw.toString(16).padStart(4, '0').toUpperCase();
}

/** Why a card's answers cannot be used. Never carries card data. */
export type CardProtocolProblem =
  | 'short_response'
  | 'unexpected_status'
  | 'not_mynumber_card'
  | 'bad_tlv'
  | 'bad_number'
  | 'bad_basic_four'
  | 'security_status';

export class CardProtocolError extends Error {
  constructor(
    readonly problem: CardProtocolProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CardProtocolError';
  }
}
