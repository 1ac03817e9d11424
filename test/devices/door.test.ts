import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MockBinding } from '@serialport/binding-mock';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { DoorMonitor, pollDoor, pulseRelay, type DoorEvent } from '../../src/devices/door-monitor.js';
import { openSerialLine, type ModemLines } from '../../src/devices/door.js';
import { tempDir } from '../helpers/vault.js';

let socat: ChildProcess | undefined;
afterEach(() => {
  socat?.kill();
  socat = undefined;
});

/** A pty pair from socat: the relay side and the peer that plays the relay board. */
async function ptyPair(): Promise<{ relay: string; peer: string }> {
  const dir = tempDir();
  const relay = join(dir, 'relay');
  const peer = join(dir, 'peer');
  socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${relay}`, `pty,raw,echo=0,link=${peer}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(relay) && existsSync(peer)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(relay) || !existsSync(peer)) throw new Error('socat did not make the pty pair');
  return { relay, peer };
}

describe('door relay over a real pty (socat) and the real serialport binding', () => {
  it('sends the opening bytes, then after the pulse the closing bytes', async () => {
    const { relay, peer } = await ptyPair();
    const board = new SerialPort({ path: peer, baudRate: 9600 });
    const received: number[] = [];
    board.on('data', (d: Buffer) => received.push(...d));
    await new Promise((r) => board.once('open', r));
    const line = await openSerialLine(relay);
    try {
      await pulseRelay(line, { channel: 1, openState: 0x01 }, 30);
      for (let i = 0; i < 50 && received.length < 8; i++) await new Promise((r) => setTimeout(r, 20));
      expect(received).toEqual([0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x01, 0x00, 0xa1]);
    } finally {
      await line.close();
      await new Promise((r) => board.close(r));
    }
  });
});

describe('door monitor', () => {
  it('reports opened and closed, held once per opening, and forced without an approved entry', () => {
    const m = new DoorMonitor(30_000);
    const seen: DoorEvent['type'][] = [];
    const at = (open: boolean, t: number) => seen.push(...m.sample(open, t).map((e) => e.type));
    at(false, 0);
    m.allowEntry(10_000);
    at(true, 1_000);
    at(true, 20_000);
    at(true, 31_001);
    at(true, 40_000);
    at(false, 41_000);
    at(true, 50_000);
    expect(seen).toEqual(['opened', 'held', 'closed', 'opened', 'forced']);
  });

  it('takes the first sample as the starting state, not as an event', () => {
    expect(new DoorMonitor(1000).sample(true, 0)).toEqual([]);
  });
});

describe('door sensor polling through a MockBinding port with scripted modem lines', () => {
  it('turns line changes into door events', async () => {
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyUSB-door', { record: true });
    const port = await MockBinding.open({ path: '/dev/ttyUSB-door', baudRate: 9600 });
    // DCD high = reed switch closed = door shut.
    const script: ModemLines[] = [true, true, false, false, true].map((dcd) => ({ cts: false, dsr: false, dcd }));
    let last = script[0]!;
    port.get = async () => (last = script.shift() ?? last);
    let clock = 0;
    const events: DoorEvent['type'][] = [];
    const monitor = new DoorMonitor(60_000);
    const stop = pollDoor(port, { line: 'dcd', closedLevel: true, intervalMs: 5 }, monitor, (e) => events.push(...e.map((x) => x.type)), () => {}, () => (clock += 1000));
    for (let i = 0; i < 100 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    stop();
    await port.close();
    expect(events).toEqual(['opened', 'forced', 'closed']);
  });

  it('reports a failing read instead of guessing the door state', async () => {
    const errors: unknown[] = [];
    const stop = pollDoor({ get: async () => Promise.reject(new Error('TIOCMGET failed')) }, { line: 'dcd', closedLevel: true, intervalMs: 5 }, new DoorMonitor(1000), () => {}, (e) => errors.push(e));
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(String(errors[0])).toContain('TIOCMGET');
  });
});

describe('one adapter for the relay and the sensor', () => {
  it('never closes the port under a relay write when a sensor read fails; the next use opens it again', async () => {
    const { reopeningSerialLine } = await import('../../src/devices/door.js');
    const events: string[] = [];
    let opened = 0;
    const open = async () => {
      const n = ++opened;
      events.push(`open ${n}`);
      return {
        write: async (bytes: Uint8Array) => {
          events.push(`write ${n} ${bytes[2]}`);
          await new Promise((r) => setTimeout(r, 20));
          events.push(`written ${n}`);
        },
        get: async (): Promise<ModemLines> => {
          events.push(`get ${n}`);
          throw new Error('TIOCMGET failed');
        },
        close: async () => void events.push(`close ${n}`),
      };
    };
    const line = reopeningSerialLine('/dev/shared', open);
    const write = line.write(Uint8Array.of(0xa0, 1, 1, 0xa2));
    const read = line.get().catch(() => 'failed');
    await write;
    expect(await read).toBe('failed');
    // The read waited for the write; the port closed only after both.
    expect(events.slice(0, 4)).toEqual(['open 1', 'write 1 1', 'written 1', 'get 1']);
    await line.write(Uint8Array.of(0xa0, 1, 0, 0xa1));
    expect(events).toContain('open 2');
    expect(events.indexOf('close 1')).toBeGreaterThan(events.indexOf('written 1'));
  });

  it('tries the locking command again before giving up, so a passing glitch does not leave the strike released', async () => {
    const sent: number[] = [];
    let failures = 1;
    const line = {
      write: async (bytes: Uint8Array) => {
        if (bytes[2] === 0x00 && failures-- > 0) throw new Error('EIO');
        sent.push(bytes[2]!);
      },
    };
    await pulseRelay(line, { channel: 1, openState: 0x01 }, 1);
    expect(sent).toEqual([0x01, 0x00]);
    const dead = { write: async (bytes: Uint8Array) => { if (bytes[2] === 0x00) throw new Error('EIO'); } };
    await expect(pulseRelay(dead, { channel: 1, openState: 0x01 }, 1)).rejects.toThrow('EIO');
  });
});
