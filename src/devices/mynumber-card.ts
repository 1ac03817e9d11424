/**
 * One reading of a 個人番号カード through the 券面事項入力補助AP, over any
 * `transmit` (PC/SC in service, a transcript in tests):
 *
 *   1. probe(): SELECT the AP, SELECT the PIN EF, VERIFY without data → tries left
 *      (spends no try). The holder is shown this before typing.
 *   2. read(pin): VERIFY the 4 digits; on success SELECT + READ BINARY (Le 00) EF 0001
 *      (個人番号), EF 0002 (基本4情報), EF 0003 (signature), EF 0004 (certificate),
 *      and check the signature.
 *
 * The PIN is a Secret and is wiped here after VERIFY, whatever happens; the
 * APDU that carried it is zeroed too. The number comes back as a MyNumber
 * (masked when printed); the raw file bytes are zeroed before returning.
 */
import type { MyNumber } from '../domain/my-number.js';
import type { Secret } from '../domain/secret.js';
import {
  CardProtocolError,
  hexSw,
  KENHOJO_EF,
  parseResponse,
  readBinaryCommand,
  readPinState,
  selectApCommand,
  selectEfCommand,
  SW_OK,
  verifyPinCommand,
  verifyStatusCommand,
  type PinState,
} from './mynumber-card-apdu.js';
import { concat, decodeBasicFourEf, decodeMyNumberEf, type BasicFour } from './mynumber-card-data.js';
import { checkCardSignature, type CardSignatureCheck } from './mynumber-card-signature.js';
import { tlvTotalLength } from './tlv.js';
import { cardPinCommand } from '../vault/card-pin.js';

export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export interface CardRead {
  myNumber: MyNumber;
  basicFour: BasicFour;
  signature: CardSignatureCheck;
}

export type CardReadOutcome =
  | { kind: 'read'; card: CardRead }
  | { kind: 'wrong_pin'; left: number }
  | { kind: 'locked' };

/** SELECT the AP and the PIN EF, then ask the tries left without spending one. */
export async function probeCard(transmit: Transmit): Promise<PinState> {
  const ap = parseResponse(await transmit(selectApCommand()));
  if (ap.sw !== SW_OK) throw new CardProtocolError('not_mynumber_card', `SELECT of the 券面事項入力補助AP answered ${hexSw(ap.sw)}`);
  await selectEf(transmit, KENHOJO_EF.pin);
  return readPinState(parseResponse(await transmit(verifyStatusCommand())).sw);
}

/**
 * VERIFY the PIN (which is wiped on return) and, if it is right, read the
 * files. Expects probeCard() to have selected the AP and the PIN EF.
 */
export async function readCard(transmit: Transmit, pin: Secret<Uint8Array>): Promise<CardReadOutcome> {
  let apdu: Uint8Array | undefined;
  let state: PinState;
  try {
    apdu = cardPinCommand(pin, verifyPinCommand);
    state = readPinState(parseResponse(await transmit(apdu)).sw);
  } finally {
    apdu?.fill(0);
    pin.wipe();
  }
  if (state.kind === 'locked') return { kind: 'locked' };
  if (state.kind === 'tries_left') return { kind: 'wrong_pin', left: state.left };
  const files: Uint8Array[] = [];
  try {
    const myNumberEf = await readEf(transmit, KENHOJO_EF.myNumber);
    files.push(myNumberEf);
    const basicFourEf = await readEf(transmit, KENHOJO_EF.basicFour);
    files.push(basicFourEf);
    const signatureEf = await readOptionalEf(transmit, KENHOJO_EF.signature);
    const certificateEf = await readOptionalEf(transmit, KENHOJO_EF.certificate);
    const signature = checkCardSignature({ myNumberEf, basicFourEf, signatureEf, certificateEf });
    return { kind: 'read', card: { myNumber: decodeMyNumberEf(myNumberEf), basicFour: decodeBasicFourEf(basicFourEf), signature } };
  } finally {
    for (const f of files) f.fill(0);
  }
}

async function selectEf(transmit: Transmit, ef: number): Promise<number> {
  const r = parseResponse(await transmit(selectEfCommand(ef)));
  if (r.sw !== SW_OK && r.sw !== 0x6a82) {
    throw new CardProtocolError('unexpected_status', `SELECT EF ${ef.toString(16).padStart(4, '0')} answered ${hexSw(r.sw)}`);
  }
  return r.sw;
}

async function readOptionalEf(transmit: Transmit, ef: number): Promise<Uint8Array | undefined> {
  if ((await selectEf(transmit, ef)) !== SW_OK) return undefined;
  return readSelected(transmit, ef);
}

async function readEf(transmit: Transmit, ef: number): Promise<Uint8Array> {
  if ((await selectEf(transmit, ef)) !== SW_OK) throw new CardProtocolError('not_mynumber_card', `EF ${ef.toString(16)} not found`);
  return readSelected(transmit, ef);
}

/** Le = 00 in a short READ BINARY: up to 256 bytes. */
const CHUNK = 256;

/**
 * Reads the selected EF with as few exchanges as short APDUs allow: Le = 00
 * (256 bytes) first, which returns a file shorter than that whole (status
 * 62 82, end of file reached); its TLV header then says whether more follows,
 * read in 256-byte chunks. A card that wants the exact length (6C xx) is
 * asked again with it. Extended-length READ BINARY would take a whole
 * certificate in one exchange but is not assumed: see docs/mynumber-card.md.
 */
async function readSelected(transmit: Transmit, ef: number): Promise<Uint8Array> {
  const first = await readChunk(transmit, ef, 0, CHUNK);
  const total = tlvTotalLength(first);
  if (total === undefined) throw new CardProtocolError('bad_tlv', `EF ${ef.toString(16)} has no TLV header`);
  if (total <= first.length) {
    const whole = first.slice(0, total);
    first.fill(0);
    return whole;
  }
  const parts = [first];
  for (let off = first.length; off < total; off += CHUNK) parts.push(await readChunk(transmit, ef, off, Math.min(CHUNK, total - off)));
  const whole = concat(parts).slice(0, total);
  for (const p of parts) p.fill(0);
  return whole;
}

async function readChunk(transmit: Transmit, ef: number, offset: number, length: number): Promise<Uint8Array> {
  let r = parseResponse(await transmit(readBinaryCommand(offset, length)));
  if ((r.sw & 0xff00) === 0x6c00 && (r.sw & 0xff) !== 0) r = parseResponse(await transmit(readBinaryCommand(offset, r.sw & 0xff)));
  if (r.sw === 0x6982) throw new CardProtocolError('security_status', `READ BINARY of EF ${ef.toString(16)} refused: PIN not verified`);
  if (r.sw !== SW_OK && r.sw !== 0x6282) throw new CardProtocolError('unexpected_status', `READ BINARY of EF ${ef.toString(16)} answered ${hexSw(r.sw)}`);
  const data = r.data.slice();
  r.data.fill(0);
  return data;
}
