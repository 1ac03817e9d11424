import { describe, expect, it } from 'vitest';
import { keypadPort } from '../../src/devices/keypad-port.js';
import type { ReportSource } from '../../src/devices/pinpad-socket.js';
import type { PinPadInput } from '../../src/domain/ports.js';

/** A pad whose reports and unplug the test drives. */
function fakePad() {
  const reports: ((r: Uint8Array) => void)[] = [];
  const gone: (() => void)[] = [];
  const source: ReportSource = { onReport: (l) => void reports.push(l), onDisconnect: (l) => void gone.push(l), close: async () => {} };
  return {
    source,
    send: (...usages: number[]) => reports.forEach((l) => l(Uint8Array.from([0, 0, ...usages, ...Array<number>(6 - usages.length).fill(0)]))),
    raw: (b: Uint8Array) => reports.forEach((l) => l(b)),
    unplug: () => gone.forEach((l) => l()),
  };
}

describe('the PIN pad port: HID reports decoded in src/devices, the dialogue gets lines', () => {
  it('turns key reports into key activity and finished lines, and says when a report is garbled or the pad is unplugged', () => {
    const pad = fakePad();
    const got: PinPadInput[][] = [];
    keypadPort(pad.source).listen((inputs) => got.push([...inputs]));
    pad.send(0x59); // 1
    pad.send(); // released
    pad.send(0x5a); // 2
    pad.send(0x58); // Enter
    pad.raw(Uint8Array.from([1, 2, 3]));
    pad.unplug();
    expect(got).toEqual([[{ type: 'keys' }], [{ type: 'keys' }], [{ type: 'keys' }, { type: 'line', text: '12' }], [{ type: 'garbled' }], [{ type: 'unplugged' }]]);
  });
});
