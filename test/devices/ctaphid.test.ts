import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BROADCAST_CID,
  CTAPHID,
  CtapHidFrameError,
  encodeMessage,
  INIT_DATA,
  MAX_MESSAGE,
  MessageAssembler,
  parseInitResponse,
  REPORT_SIZE,
  withReportId,
} from '../../src/devices/ctaphid.js';

const CID = 0x0a0b0c0d;

function roundTrip(payload: Uint8Array, cid = CID) {
  const packets = encodeMessage(cid, CTAPHID.CBOR, payload);
  const a = new MessageAssembler(cid);
  let out;
  for (const [i, p] of packets.entries()) {
    out = a.push(p);
    if (i < packets.length - 1) expect(out).toBeUndefined();
  }
  return { packets, out: out! };
}

describe('CTAPHID framing', () => {
  for (const size of [0, 1, INIT_DATA - 1, INIT_DATA, INIT_DATA + 1, 1024, MAX_MESSAGE - 1, MAX_MESSAGE]) {
    it(`round-trips a ${size}-byte message`, () => {
      const payload = randomBytes(size);
      const { packets, out } = roundTrip(payload);
      expect(packets.every((p) => p.length === REPORT_SIZE)).toBe(true);
      expect(out.cmd).toBe(CTAPHID.CBOR);
      expect(Buffer.from(out.payload).equals(payload)).toBe(true);
    });
  }

  it('lays out the init packet as CID, 0x80|CMD, big-endian length, zero padding', () => {
    const [p] = encodeMessage(0x01020304, CTAPHID.PING, Uint8Array.of(0xaa, 0xbb));
    expect([...p!.subarray(0, 9)]).toEqual([1, 2, 3, 4, 0x81, 0x00, 0x02, 0xaa, 0xbb]);
    expect(p!.subarray(9).every((b) => b === 0)).toBe(true);
  });

  it('uses 7609 bytes at most: 57 in the init packet and 128 continuations of 59, the last with SEQ 0x7F', () => {
    expect(MAX_MESSAGE).toBe(7609);
    const packets = encodeMessage(CID, CTAPHID.CBOR, new Uint8Array(MAX_MESSAGE));
    expect(packets).toHaveLength(129);
    expect(packets[128]![4]).toBe(0x7f);
    expect(() => encodeMessage(CID, CTAPHID.CBOR, new Uint8Array(MAX_MESSAGE + 1))).toThrow(CtapHidFrameError);
  });

  it('refuses an init packet that announces more than 7609 bytes', () => {
    const p = new Uint8Array(REPORT_SIZE);
    new DataView(p.buffer).setUint32(0, CID);
    p[4] = 0x90;
    new DataView(p.buffer).setUint16(5, MAX_MESSAGE + 1);
    expect(() => new MessageAssembler(CID).push(p)).toThrow(/too_long/);
  });

  it('ignores reports of other channels, even in the middle of a message', () => {
    const payload = randomBytes(200);
    const ours = encodeMessage(CID, CTAPHID.CBOR, payload);
    const theirs = encodeMessage(0x11111111, CTAPHID.CBOR, randomBytes(200));
    const a = new MessageAssembler(CID);
    let out;
    for (let i = 0; i < ours.length; i++) {
      expect(a.push(theirs[i]!)).toBeUndefined();
      out = a.push(ours[i]!);
    }
    expect(Buffer.from(out!.payload).equals(payload)).toBe(true);
  });

  it('fails on a sequence gap, a stray continuation and a new init mid-message', () => {
    const packets = encodeMessage(CID, CTAPHID.CBOR, randomBytes(300));
    const gap = new MessageAssembler(CID);
    gap.push(packets[0]!);
    expect(() => gap.push(packets[2]!)).toThrow(/invalid_seq/);
    expect(() => new MessageAssembler(CID).push(packets[1]!)).toThrow(/unexpected_continuation/);
    const twice = new MessageAssembler(CID);
    twice.push(packets[0]!);
    expect(() => twice.push(packets[0]!)).toThrow(/unexpected_init/);
    expect(() => new MessageAssembler(CID).push(new Uint8Array(10))).toThrow(/short_report/);
  });

  it('decodes error and keepalive frames as one-byte messages', () => {
    const err = roundTripCmd(CTAPHID.ERROR, Uint8Array.of(0x06));
    expect(err).toMatchObject({ cmd: CTAPHID.ERROR });
    expect([...err.payload]).toEqual([0x06]);
    const keep = roundTripCmd(CTAPHID.KEEPALIVE, Uint8Array.of(2));
    expect(keep.cmd).toBe(CTAPHID.KEEPALIVE);
  });

  it('prefixes the Linux report id byte 0x00 when writing', () => {
    const [p] = encodeMessage(CID, CTAPHID.PING, Uint8Array.of(1));
    const w = withReportId(p!);
    expect(w).toHaveLength(65);
    expect(w[0]).toBe(0);
    expect(Buffer.from(w.subarray(1)).equals(Buffer.from(p!))).toBe(true);
  });

  it('parses the INIT answer only when the nonce is ours', () => {
    const nonce = randomBytes(8);
    const payload = Buffer.concat([nonce, Buffer.from([0xca, 0xfe, 0x00, 0x01, 2, 5, 4, 1, 0x05])]);
    expect(parseInitResponse(payload, nonce)).toEqual({ cid: 0xcafe0001, protocolVersion: 2, deviceVersion: [5, 4, 1], capabilities: 0x05 });
    expect(parseInitResponse(payload, randomBytes(8))).toBeUndefined();
    const [init] = encodeMessage(BROADCAST_CID, CTAPHID.INIT, nonce);
    expect([...init!.subarray(0, 5)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x86]);
  });
});

function roundTripCmd(cmd: number, payload: Uint8Array) {
  const a = new MessageAssembler(CID);
  return a.push(encodeMessage(CID, cmd, payload)[0]!)!;
}
