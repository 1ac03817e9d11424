import { describe, expect, it } from 'vitest';
import { decodeKeypadReport, KeypadDecoder, KeypadLine, type KeypadEvent } from '../../src/devices/keypad.js';
import { lcusCommand, pulseCommands } from '../../src/devices/relay.js';

const report = (...usages: number[]) => Uint8Array.of(0, 0, ...usages, ...new Array(6 - usages.length).fill(0));
const UP = report();

/** Press-and-release reports for a key sequence, as a keypad sends them. */
function typed(...usages: number[]): Uint8Array[] {
  return usages.flatMap((u) => [report(u), UP]);
}

function keys(events: KeypadEvent[]): string {
  return events.map((e) => (e.type === 'rollover' ? '!' : e.key.length === 1 ? e.key : `<${e.key}>`)).join('');
}

describe('keypad reports', () => {
  it('decodes keypad and main-row digits, Enter, Backspace and Clear', () => {
    const d = new KeypadDecoder();
    const events = [...typed(0x62, 0x59, 0x5a, 0x61, 0x1e, 0x27, 0x58, 0x2a, 0x29, 0x28)].flatMap((r) => d.feed(r));
    expect(keys(events)).toBe('012910<enter><backspace><clear><enter>');
  });

  it('counts a held key once and a key pressed while another is held', () => {
    const d = new KeypadDecoder();
    const events = [report(0x59), report(0x59), report(0x59, 0x5a), report(0x5a), UP, report(0x59)].flatMap((r) => d.feed(r));
    expect(keys(events)).toBe('121');
  });

  it('reports rollover and does not repeat keys still held after it', () => {
    const d = new KeypadDecoder();
    const events = [report(0x59), report(1, 1, 1, 1, 1, 1), report(0x59), UP, report(0x59)].flatMap((r) => d.feed(r));
    expect(keys(events)).toBe('1!1');
    const held = new KeypadDecoder();
    expect(keys([report(0x59), report(1, 1, 1, 1, 1, 1), report(0x59)].flatMap((r) => held.feed(r)))).toBe('1!');
    expect(decodeKeypadReport(report(1, 1, 1, 1, 1, 1)).rollover).toBe(true);
  });

  it('accepts a leading report id, turns the 00 key into two zeros and ignores NumLock', () => {
    const d = new KeypadDecoder();
    const withId = Uint8Array.of(1, ...report(0xb0));
    expect(keys(d.feed(withId))).toBe('00');
    expect(keys(new KeypadDecoder().feed(report(0x53)))).toBe('');
    expect(() => decodeKeypadReport(new Uint8Array(5))).toThrow();
  });

  it('assembles request code and PIN lines; backspace, clear and rollover edit them', () => {
    const d = new KeypadDecoder();
    const line = new KeypadLine();
    const lines: string[] = [];
    // "123<bs>4<enter>" then "99<clear>246810<enter>"
    const reports = [...typed(0x59, 0x5a, 0x5b, 0x2a, 0x5c, 0x58, 0x61, 0x61, 0x29, 0x5a, 0x5c, 0x5e, 0x60, 0x59, 0x62, 0x58)];
    for (const r of reports) for (const e of d.feed(r)) {
      const done = line.apply(e);
      if (done !== undefined) lines.push(done);
    }
    expect(lines).toEqual(['124', '246810']);
    line.apply({ type: 'key', key: '5' });
    line.apply({ type: 'rollover' });
    expect(line.apply({ type: 'key', key: 'enter' })).toBe('');
  });

  it('empties a line that grows past its limit instead of cutting it', () => {
    const line = new KeypadLine(4);
    for (const k of '12345') line.apply({ type: 'key', key: k as '1' });
    expect(line.length).toBe(0);
  });
});

describe('LCUS relay bytes', () => {
  it('frames A0, channel, state and the checksum', () => {
    expect([...lcusCommand(1, 1)]).toEqual([0xa0, 0x01, 0x01, 0xa2]);
    expect([...lcusCommand(1, 0)]).toEqual([0xa0, 0x01, 0x00, 0xa1]);
    expect([...lcusCommand(8, 1)]).toEqual([0xa0, 0x08, 0x01, 0xa9]);
    expect(() => lcusCommand(0, 1)).toThrow(RangeError);
    expect(() => lcusCommand(9, 1)).toThrow(RangeError);
  });

  it('pulses with the configured opening byte, then the other', () => {
    const normal = pulseCommands({ channel: 2, openState: 0x01 });
    expect([...normal.open]).toEqual([0xa0, 2, 1, 0xa3]);
    expect([...normal.close]).toEqual([0xa0, 2, 0, 0xa2]);
    const inverted = pulseCommands({ channel: 2, openState: 0x00 });
    expect([...inverted.open]).toEqual([0xa0, 2, 0, 0xa2]);
  });
});
