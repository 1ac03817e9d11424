/**
 * CTAPHID framing (FIDO CTAP 2.1 §11.2), as pure code: messages in, 64-byte
 * reports out, and back. The adapter around it only reads and writes reports.
 *
 *   init packet:         CID[4] ‖ 0x80|CMD ‖ BCNTH ‖ BCNTL ‖ DATA[57]
 *   continuation packet: CID[4] ‖ SEQ (0x00..0x7F) ‖ DATA[59]
 *
 * With 64-byte reports a message holds at most 57 + 128 × 59 = 7609 bytes.
 */
export const REPORT_SIZE = 64;
export const INIT_DATA = REPORT_SIZE - 7;
export const CONT_DATA = REPORT_SIZE - 5;
export const MAX_MESSAGE = INIT_DATA + 128 * CONT_DATA;
export const BROADCAST_CID = 0xffffffff;

export const CTAPHID = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

export const CTAPHID_ERROR_NAME: Record<number, string> = {
  0x01: 'INVALID_CMD',
  0x02: 'INVALID_PAR',
  0x03: 'INVALID_LEN',
  0x04: 'INVALID_SEQ',
  0x05: 'MSG_TIMEOUT',
  0x06: 'CHANNEL_BUSY',
  0x0a: 'LOCK_REQUIRED',
  0x0b: 'INVALID_CHANNEL',
  0x7f: 'OTHER',
};

export const KEEPALIVE_STATUS = { PROCESSING: 1, UPNEEDED: 2 } as const;

export const CAPABILITY = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;

/** A framing problem: the message is dropped and the transaction fails, never half-read. */
export class CtapHidFrameError extends Error {
  constructor(readonly reason: 'too_long' | 'short_report' | 'invalid_seq' | 'unexpected_continuation' | 'unexpected_init' | 'bad_cid') {
    super(`CTAPHID framing: ${reason}`);
    this.name = 'CtapHidFrameError';
  }
}

export interface CtapHidMessage {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

/** Splits a message into zero-padded 64-byte reports. */
export function encodeMessage(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_MESSAGE) throw new CtapHidFrameError('too_long');
  if (!Number.isInteger(cid) || cid < 0 || cid > 0xffffffff) throw new CtapHidFrameError('bad_cid');
  const packets: Uint8Array[] = [];
  const first = new Uint8Array(REPORT_SIZE);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid);
  first[4] = 0x80 | (cmd & 0x7f);
  view.setUint16(5, payload.length);
  first.set(payload.subarray(0, INIT_DATA), 7);
  packets.push(first);
  let offset = INIT_DATA;
  for (let seq = 0; offset < payload.length; seq++) {
    const p = new Uint8Array(REPORT_SIZE);
    new DataView(p.buffer).setUint32(0, cid);
    p[4] = seq;
    p.set(payload.subarray(offset, offset + CONT_DATA), 5);
    packets.push(p);
    offset += CONT_DATA;
  }
  return packets;
}

/** Linux hidraw wants the report id (0x00: unnumbered) before each 64-byte report. */
export function withReportId(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(packet.length + 1);
  out.set(packet, 1);
  return out;
}

/**
 * Reassembles the reports of one channel into messages. Reports of other
 * channels are ignored (other programs may share the key). A sequence gap,
 * a stray continuation or an oversize length throws CtapHidFrameError.
 */
export class MessageAssembler {
  #cmd = 0;
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #seq = 0;

  constructor(readonly cid: number) {}

  /** Returns the message once complete, undefined while more reports are due or for other channels. */
  push(report: Uint8Array): CtapHidMessage | undefined {
    if (report.length < REPORT_SIZE) throw new CtapHidFrameError('short_report');
    const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
    const cid = view.getUint32(0);
    if (cid !== this.cid) return undefined;
    const b4 = report[4]!;
    if (b4 & 0x80) {
      if (this.#buffer !== undefined) throw new CtapHidFrameError('unexpected_init');
      const length = view.getUint16(5);
      if (length > MAX_MESSAGE) throw new CtapHidFrameError('too_long');
      this.#cmd = b4 & 0x7f;
      this.#buffer = new Uint8Array(length);
      const take = Math.min(length, INIT_DATA);
      this.#buffer.set(report.subarray(7, 7 + take));
      this.#filled = take;
      this.#seq = 0;
    } else {
      if (this.#buffer === undefined) throw new CtapHidFrameError('unexpected_continuation');
      if (b4 !== this.#seq) {
        this.reset();
        throw new CtapHidFrameError('invalid_seq');
      }
      this.#seq++;
      const take = Math.min(this.#buffer.length - this.#filled, CONT_DATA);
      this.#buffer.set(report.subarray(5, 5 + take), this.#filled);
      this.#filled += take;
    }
    if (this.#filled < this.#buffer.length) return undefined;
    const message = { cid, cmd: this.#cmd, payload: this.#buffer };
    this.reset();
    return message;
  }

  /** Whether a message has started and awaits continuations. */
  get busy(): boolean {
    return this.#buffer !== undefined;
  }

  reset(): void {
    this.#buffer = undefined;
    this.#filled = 0;
    this.#seq = 0;
  }
}

export interface InitResponse {
  cid: number;
  protocolVersion: number;
  deviceVersion: [number, number, number];
  capabilities: number;
}

/** Parses the 17-byte CTAPHID_INIT answer; undefined when the nonce is not ours. */
export function parseInitResponse(payload: Uint8Array, nonce: Uint8Array): InitResponse | undefined {
  if (payload.length < 17) throw new CtapHidFrameError('short_report');
  for (let i = 0; i < 8; i++) if (payload[i] !== nonce[i]) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    cid: view.getUint32(8),
    protocolVersion: payload[12]!,
    deviceVersion: [payload[13]!, payload[14]!, payload[15]!],
    capabilities: payload[16]!,
  };
}
