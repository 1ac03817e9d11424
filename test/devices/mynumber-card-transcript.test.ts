import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTranscript } from '../helpers/ctaphid-transcript.js';
import { probeCard, readCard } from '../../src/devices/mynumber-card.js';
import { CardProtocolError, readPinState } from '../../src/devices/mynumber-card-apdu.js';
import { Secret } from '../../src/domain/secret.js';
import { encodeBasicFourEf, encodeMyNumberEf } from '../../src/devices/mynumber-card-data.js';
import { encodeTlv } from '../../src/devices/tlv.js';

const TRANSCRIPT = join(import.meta.dirname, '../../device/transcripts/mynumber-card-wrong-pin-then-read.hex');

/** Plays the card's side: each command must match the transcript byte for byte. */
function replay(path: string) {
  const lines = readTranscript(path);
  let next = 0;
  const sent: Uint8Array[] = [];
  const transmit = async (apdu: Uint8Array) => {
    sent.push(apdu);
    const cmd = lines[next++];
    const answer = lines[next++];
    if (cmd?.dir !== '>' || answer?.dir !== '<' || !Buffer.from(apdu).equals(cmd.report)) {
      throw new Error(`unexpected command ${Buffer.from(apdu).toString('hex')} (expected ${cmd?.report.toString('hex')})`);
    }
    return new Uint8Array(answer.report);
  };
  return { transmit, sent, done: () => next === lines.length };
}

const pin = (s: string) => new Secret(new TextEncoder().encode(s));

describe('the 券面事項入力補助AP codec against a written transcript', () => {
  it('asks the tries without spending one, counts a wrong PIN, then reads the number and the 基本4情報', async () => {
    const card = replay(TRANSCRIPT);
    expect(await probeCard(card.transmit)).toEqual({ kind: 'tries_left', left: 3 });
    const wrong = pin('0000');
    expect(await readCard(card.transmit, wrong)).toEqual({ kind: 'wrong_pin', left: 2 });
    expect(wrong.wiped).toBe(true);
    const right = pin('1234');
    const bytes = right.expose();
    const out = await readCard(card.transmit, right);
    expect(card.done()).toBe(true);
    if (out.kind !== 'read') throw new Error(out.kind);
    expect(out.card.myNumber.expose()).toBe('123456789018');
    expect(String(out.card.myNumber)).not.toContain('1234');
    expect(out.card.basicFour).toEqual({ name: '山田 太郎', address: '東京都千代田区', birthDate: '1990-01-02', sex: '1' });
    expect(out.card.signature.result).toBe('unavailable');
    // The PIN and the VERIFY commands that carried it are zeroed once sent.
    expect([...bytes].every((b) => b === 0)).toBe(true);
    expect(right.wiped).toBe(true);
    for (const apdu of card.sent.filter((a) => a[1] === 0x20 && a.length > 4)) expect([...apdu.subarray(5)].every((b) => b === 0)).toBe(true);
  });

  it('reads 63 C0 and 69 83 as locked and refuses an unknown status', () => {
    expect(readPinState(0x63c0)).toEqual({ kind: 'locked' });
    expect(readPinState(0x6983)).toEqual({ kind: 'locked' });
    expect(readPinState(0x63c1)).toEqual({ kind: 'tries_left', left: 1 });
    expect(() => readPinState(0x6a88)).toThrow(CardProtocolError);
  });

  it('names a card without the AP as not a My Number card', async () => {
    await expect(probeCard(async () => Uint8Array.from([0x6a, 0x82]))).rejects.toMatchObject({ problem: 'not_mynumber_card' });
  });

  it('reads a file longer than 256 bytes in 256-byte chunks, and asks again with the length a card wants (6C xx)', async () => {
    const files = new Map<number, Uint8Array>([
      [1, encodeMyNumberEf('123456789018')],
      [2, encodeBasicFourEf({ name: '山田 太郎', address: '東京都千代田区', birthDate: '1990-01-02', sex: '1' })],
      [
        4,
        encodeTlv(
          0xff30,
          new Uint8Array(600).map((_, i) => i & 0xff),
        ),
      ],
    ]);
    let ef = 0;
    const reads: string[] = [];
    const transmit = async (apdu: Uint8Array) => {
      if (apdu[1] === 0xa4 && apdu[2] === 0x02) {
        ef = (apdu[5]! << 8) | apdu[6]!;
        return Uint8Array.from(ef === 0x11 || files.has(ef) ? [0x90, 0x00] : [0x6a, 0x82]);
      }
      if (apdu[1] !== 0xb0) return Uint8Array.from([0x90, 0x00]);
      const file = files.get(ef)!;
      const off = (apdu[2]! << 8) | apdu[3]!;
      const le = apdu[4]! || 256;
      reads.push(`${ef}@${off}:${le}`);
      const rest = file.length - off;
      // This card wants the exact length of what is left.
      if (le > rest) return Uint8Array.from([0x6c, rest]);
      return Uint8Array.from([...file.subarray(off, off + le), 0x90, 0x00]);
    };
    const out = await readCard(transmit, pin('1234'));
    if (out.kind !== 'read') throw new Error(out.kind);
    expect(out.card.myNumber.expose()).toBe('123456789018');
    expect(reads.filter((r) => r.startsWith('4@'))).toEqual(['4@0:256', '4@256:256', `4@512:${files.get(4)!.length - 512}`]);
    expect(reads.filter((r) => r.startsWith('1@'))).toEqual(['1@0:256', `1@0:${files.get(1)!.length}`]);
  });
});
