import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HidPinPad, type HidHandle, type HidTransport } from '../../src/devices/hid-pinpad.js';
import { fixedClock } from '../../src/domain/ports.js';
import { requestReveal, RevealStore, viewReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad, type PinPadStatus } from '../../src/services/pinpad.js';
import { packagePath } from '../../src/paths.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

/** The recorded reports, as a hidraw read returns them. */
const TRANSCRIPT = readFileSync(packagePath('device', 'transcripts', 'pinpad-code-enter-pin-enter.hex'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => Buffer.from(l, 'hex'));

class FakeHandle extends EventEmitter implements HidHandle {
  closed = false;
  /** A PIN pad is only read; a write would be a mistake, so it fails the test. */
  async write(): Promise<number> {
    throw new Error('the PIN pad is never written to');
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A fake node-hid: the pad is present or not, and each open gives a handle the test drives. */
class FakeTransport implements HidTransport {
  present = true;
  handles: FakeHandle[] = [];
  async find(vendorId: number, productId: number) {
    return this.present && vendorId === 0x04d9 && productId === 0x1203 ? [{ path: '/dev/hidraw-fake' }] : [];
  }
  async open() {
    const h = new FakeHandle();
    this.handles.push(h);
    return h;
  }
}

const waitFor = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

describe('USB PIN pad through the HID adapter with a fake transport', () => {
  it('approves from the replayed transcript, forgets a half entry on unplug, and works again after replug', async () => {
    const number = syntheticNumber(41, 6);
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${number}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const handler = vault.users.byLogin(HANDLER.login)!;
    const personId = vault.persons.codes('employee').get('E1')!;
    const ask = () => {
      const r = requestReveal(vault, store.requests, handler, { personId, purpose: 'withholding_slip' }, null);
      vault.db.prepare("UPDATE gate_requests SET code = '123456' WHERE id = ?").run(r.id); // the code the transcript types
      return r.id;
    };
    const transport = new FakeTransport();
    const pad = new HidPinPad(transport, { vendorId: 0x04d9, productId: 0x1203 }, 10);
    const store = new RevealStore();
    const statuses: PinPadStatus['state'][] = [];
    attachPinPad(vault, store, keypadPort(pad), 'pinpad:04d9:1203', undefined, (s) => statuses.push(s.state));
    await pad.start();
    expect(pad.state).toBe('connected');

    const first = ask();
    for (const r of TRANSCRIPT) transport.handles[0]!.emit('data', r);
    await waitFor(() => statuses.includes('approved'));
    expect(viewReveal(vault, store, handler, first).number?.expose()).toBe(number);

    // Unplugged after the code was typed: nothing half-typed survives the replug.
    vault.db.prepare("UPDATE gate_requests SET state = 'consumed' WHERE id = ?").run(first);
    const second = ask();
    for (const r of TRANSCRIPT.slice(0, 14)) transport.handles[0]!.emit('data', r);
    transport.present = false;
    transport.handles[0]!.emit('error', new Error('could not read from HID device'));
    expect(statuses.at(-1)).toBe('disconnected');
    expect(pad.state).toBe('searching');
    await new Promise((r) => setTimeout(r, 50));
    expect(transport.handles).toHaveLength(1);
    transport.present = true;
    await waitFor(() => pad.state === 'connected' && transport.handles.length === 2);
    expect(transport.handles[0]!.closed).toBe(true);
    // Only the PIN part now: without its code it is not an approval.
    const approvals = statuses.filter((s) => s === 'approved').length;
    for (const r of TRANSCRIPT.slice(14)) transport.handles[1]!.emit('data', r);
    await new Promise((r) => setTimeout(r, 50));
    expect(statuses.filter((s) => s === 'approved')).toHaveLength(approvals);
    // Enter on an empty line starts over; then the whole dialogue approves.
    transport.handles[1]!.emit('data', Buffer.from('0000580000000000', 'hex'));
    transport.handles[1]!.emit('data', Buffer.alloc(8));
    for (const r of TRANSCRIPT) transport.handles[1]!.emit('data', r);
    await waitFor(() => statuses.filter((s) => s === 'approved').length === approvals + 1);
    expect(viewReveal(vault, store, handler, second).number?.expose()).toBe(number);
    await pad.close();
    store.clear();
  });
});

describe('choosing the PIN pad interface', () => {
  it('takes the boot keyboard interface of a pad that has several, and refuses a pad that shows none', async () => {
    const { keyboardInterface } = await import('../../src/devices/hid-pinpad.js');
    const media = { path: '/dev/hidraw3', usagePage: 0x0c, usage: 0x01 };
    const keyboard = { path: '/dev/hidraw4', usagePage: 0x01, usage: 0x06 };
    expect(keyboardInterface([media, keyboard])).toBe(keyboard);
    expect(keyboardInterface([media])).toBeUndefined();
    // Backends that report no usages: the first interface with a path.
    expect(keyboardInterface([{ path: undefined }, { path: '/dev/hidraw1' }])).toEqual({ path: '/dev/hidraw1' });
  });
});
