import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MockBinding } from '@serialport/binding-mock';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { openSerialLine, reopeningSerialLine, type ModemLines, type SerialLine } from '../../src/devices/door.js';
import { startDoor as wireDoor } from '../../src/cli/door.js';
import { loadConfig } from '../../src/config.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { DoorService, type DoorDevices } from '../../src/services/door.js';
import { approveWithPin, requestEntry, RevealStore } from '../../src/services/gate.js';
import type { Vault } from '../../src/services/vault.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

const HELD_MS = 30_000;
const ENTRY_MS = 60_000;

let socat: ChildProcess | undefined;
const services: DoorService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  socat?.kill();
  socat = undefined;
});

async function ptyPair(): Promise<{ relay: string; peer: string }> {
  const dir = tempDir();
  const relay = join(dir, 'relay');
  const peer = join(dir, 'peer');
  socat = spawn('socat', [`pty,raw,echo=0,link=${relay}`, `pty,raw,echo=0,link=${peer}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(relay) && existsSync(peer)); i++) await new Promise((r) => setTimeout(r, 30));
  if (!existsSync(relay) || !existsSync(peer)) throw new Error('socat did not make the pty pair');
  return { relay, peer };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not reached: ${what}`);
}

/** A door sensor on a MockBinding port whose DCD line the test sets (high = reed closed = door shut). */
async function scriptedSensor(): Promise<{ port: Awaited<ReturnType<typeof MockBinding.open>>; door: { open: boolean; failing: boolean } }> {
  MockBinding.reset();
  MockBinding.createPort('/dev/ttyUSB-door', { record: true });
  const port = await MockBinding.open({ path: '/dev/ttyUSB-door', baudRate: 9600 });
  const door = { open: false, failing: false };
  port.get = async (): Promise<ModemLines> => {
    if (door.failing) throw Object.assign(new Error('TIOCMGET failed'), { code: 'EIO' });
    return { cts: false, dsr: false, dcd: !door.open };
  };
  return { port, door };
}

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const handler = vault.users.byLogin(HANDLER.login)!;
  return { vault, clock, handler, store: new RevealStore() };
}

function startDoor(vault: Vault, store: RevealStore, devices: Partial<DoorDevices>): DoorService {
  const s = new DoorService(vault, { heldMs: HELD_MS, entryMs: ENTRY_MS, ...devices }, () => {}).attach(store).start();
  services.push(s);
  return s;
}

const actions = (vault: Vault) => [...vault.auditRepo.iterateRaw(1)].map((r) => r[4]);
const lastOf = (vault: Vault, action: string) => [...vault.auditRepo.iterateRaw(1)].reverse().find((r) => r[4] === action);

describe('the door on approval: the strike relay over a real pty (socat) and serialport', () => {
  it('sends exactly the LCUS open bytes, then the close bytes, when an entry is approved with the PIN', async () => {
    const { vault, handler, store } = await setUp();
    const { relay, peer } = await ptyPair();
    const board = new SerialPort({ path: peer, baudRate: 9600 });
    const received: number[] = [];
    board.on('data', (d: Buffer) => received.push(...d));
    await new Promise((r) => board.once('open', r));
    const line = await openSerialLine(relay);
    try {
      const door = startDoor(vault, store, { relay: { line, config: { channel: 2, openState: 0x01 }, pulseMs: 30, device: 'door-relay:test' } });
      const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_maintenance' }, null);
      await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
      await door.idle();
      await until(() => received.length >= 8, 'eight relay bytes');
      expect(received).toEqual([0xa0, 0x02, 0x01, 0xa3, 0xa0, 0x02, 0x00, 0xa2]);
      expect(door.status().relay).toBe('ready');
      expect(actions(vault)).not.toContain('door.relay_failed');
    } finally {
      await line.close();
      await new Promise((r) => board.close(r));
    }
  });

  it('audits and raises a relay write failure; the approval stays committed', async () => {
    const { vault, handler, store } = await setUp();
    const line = { write: async () => Promise.reject(Object.assign(new Error('write failed'), { code: 'EIO' })) };
    const door = startDoor(vault, store, { relay: { line, config: { channel: 1, openState: 0x01 }, pulseMs: 10, device: 'door-relay:test' } });
    const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_paper_documents' }, null);
    await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    await door.idle();
    expect(vault.gate.byId(r.id)?.state).toBe('approved');
    const failed = lastOf(vault, 'door.relay_failed')!;
    expect(JSON.parse(failed[9])).toMatchObject({ request_id: r.id, phase: 'unlock', reason: 'EIO' });
    expect(vault.doorAlarms.open().map((a) => a.kind)).toEqual(['relay_failed']);
    expect(door.status().relay).toBe('failed');
  });
});

describe('the door sensor (a scripted MockBinding port)', () => {
  it('records an opening within the entry window as an authorised entry, without an alarm', async () => {
    const { vault, handler, store } = await setUp();
    const { port, door } = await scriptedSensor();
    const service = startDoor(vault, store, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 } });
    await until(() => service.status().sensor === 'closed', 'first sample');
    const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_disposal' }, null);
    await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    door.open = true;
    await until(() => actions(vault).includes('door.opened'), 'opened');
    door.open = false;
    await until(() => actions(vault).includes('door.closed'), 'closed');
    expect(JSON.parse(lastOf(vault, 'door.opened')![9])).toEqual({ authorised: true, request_id: r.id });
    expect(actions(vault)).not.toContain('door.forced');
    expect(vault.doorAlarms.openCount()).toBe(0);
    await port.close();
  });

  it('raises a forced-open alarm when the door opens with no approval, or after the entry window', async () => {
    const { vault, clock, handler, store } = await setUp();
    const { port, door } = await scriptedSensor();
    const service = startDoor(vault, store, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 } });
    await until(() => service.status().sensor === 'closed', 'first sample');
    door.open = true;
    await until(() => actions(vault).includes('door.forced'), 'forced');
    expect(JSON.parse(lastOf(vault, 'door.opened')![9])).toEqual({ authorised: false, request_id: null });
    door.open = false;
    await until(() => actions(vault).includes('door.closed'), 'closed');

    const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_inspection' }, null);
    await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    clock.advance(ENTRY_MS + 1);
    door.open = true;
    await until(() => actions(vault).filter((a) => a === 'door.forced').length === 2, 'second forced');
    const alarms = vault.doorAlarms.open();
    expect(alarms.map((a) => a.kind)).toEqual(['forced', 'forced']);
    expect(JSON.parse(lastOf(vault, 'door.forced')![9])).toEqual({ alarm_id: alarms[0]!.id });
    await port.close();
  });

  it('raises a held-open alarm once when the door stays open past the limit', async () => {
    const { vault, clock, handler, store } = await setUp();
    const { port, door } = await scriptedSensor();
    const service = startDoor(vault, store, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 } });
    await until(() => service.status().sensor === 'closed', 'first sample');
    const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_maintenance' }, null);
    await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    door.open = true;
    await until(() => actions(vault).includes('door.opened'), 'opened');
    clock.advance(HELD_MS + 1000);
    await until(() => actions(vault).includes('door.held'), 'held');
    await new Promise((r) => setTimeout(r, 30));
    expect(actions(vault).filter((a) => a === 'door.held')).toHaveLength(1);
    const [alarm] = vault.doorAlarms.open();
    expect(alarm).toMatchObject({ kind: 'held', detail: { open_seconds: 31 } });
    expect(service.status().sensor).toBe('open');
    await port.close();
  });

  it('raises one sensor alarm per failure streak, records the recovery, and shows the door as failed meanwhile', async () => {
    const { vault, store } = await setUp();
    const { port, door } = await scriptedSensor();
    const service = startDoor(vault, store, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 } });
    await until(() => service.status().sensor === 'closed', 'first sample');
    door.failing = true;
    await until(() => service.status().sensor === 'failed', 'failed');
    await new Promise((r) => setTimeout(r, 40));
    expect(actions(vault).filter((a) => a === 'door.sensor_failed')).toHaveLength(1);
    expect(JSON.parse(lastOf(vault, 'door.sensor_failed')![9])).toMatchObject({ reason: 'EIO' });
    door.failing = false;
    await until(() => actions(vault).includes('door.sensor_restored'), 'restored');
    expect(service.status().sensor).toBe('closed');
    door.failing = true;
    await until(() => actions(vault).filter((a) => a === 'door.sensor_failed').length === 2, 'second streak');
    expect(vault.doorAlarms.open().map((a) => a.kind)).toEqual(['sensor_failed', 'sensor_failed']);
    await port.close();
  });

  it('keeps the door running and says so when its events cannot be written', async () => {
    const { vault, store } = await setUp();
    const { port, door } = await scriptedSensor();
    const service = startDoor(vault, store, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 } });
    await until(() => service.status().sensor === 'closed', 'first sample');
    vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    door.open = true;
    await until(() => service.status().recordFailed, 'record failure shown');
    // The alarm row rolled back with its event: nothing half-written.
    expect(vault.doorAlarms.openCount()).toBe(0);
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    await port.close();
  });
});

describe('the door as serve wires it from MNVAULT_DOOR_*', () => {
  it('opens the configured relay through the real binding and pulses it on approval; a sensor that cannot be read is an alarm', async () => {
    const { vault, handler, store } = await setUp();
    const { relay, peer } = await ptyPair();
    const board = new SerialPort({ path: peer, baudRate: 9600 });
    const received: number[] = [];
    board.on('data', (d: Buffer) => received.push(...d));
    await new Promise((r) => board.once('open', r));
    // A pty has no modem lines: reading them fails, as an unplugged adapter's would.
    const config = loadConfig({ MNVAULT_DOOR_RELAY: relay, MNVAULT_DOOR_RELAY_OPEN: '00', MNVAULT_DOOR_PULSE_MS: '100', MNVAULT_DOOR_SENSOR: relay });
    const said: string[] = [];
    const door = (await wireDoor(vault, store, config, false, (m) => said.push(m)))!;
    try {
      const r = requestEntry(vault, store.requests, handler, { purpose: 'entry_maintenance' }, null);
      await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
      await door.service.idle();
      await until(() => received.length >= 8, 'eight relay bytes');
      expect(received).toEqual([0xa0, 0x01, 0x00, 0xa1, 0xa0, 0x01, 0x01, 0xa2]);
      await until(() => vault.doorAlarms.open().some((a) => a.kind === 'sensor_failed'), 'sensor alarm');
      expect(door.service.status()).toMatchObject({ relay: 'ready', sensor: 'failed', simulated: false });
      expect(said).toEqual([]);
    } finally {
      await door.close();
      await new Promise((r) => board.close(r));
    }
  });

  it('has no door when neither relay nor sensor is configured', async () => {
    const { vault, store } = await setUp();
    expect(await wireDoor(vault, store, loadConfig({}), false, () => {})).toBeUndefined();
  });

  it('opens an adapter again after a failure (unplugged and plugged back)', async () => {
    let opens = 0;
    let broken = true;
    const line = reopeningSerialLine('/dev/ttyUSB-door', async () => {
      opens++;
      if (broken) throw new Error('ENOENT');
      return { write: async () => {}, get: async () => ({ cts: false, dsr: false, dcd: true }), close: async () => {} } satisfies SerialLine;
    });
    await expect(line.get()).rejects.toThrow('ENOENT');
    broken = false;
    await expect(line.get()).resolves.toMatchObject({ dcd: true });
    await line.write(Uint8Array.of(1));
    expect(opens).toBe(2);
    await line.close();
  });
});

describe('running for months', () => {
  it('leaves no abort listener behind after each pulse or poll', async () => {
    const { vault, store } = await setUp();
    const { port } = await scriptedSensor();
    // Count abort listeners added and removed while the door works.
    let live = 0;
    const add = AbortSignal.prototype.addEventListener;
    const remove = AbortSignal.prototype.removeEventListener;
    AbortSignal.prototype.addEventListener = function (this: AbortSignal, ...a: Parameters<typeof add>) {
      if (a[0] === 'abort') live += 1;
      return add.apply(this, a);
    } as typeof add;
    AbortSignal.prototype.removeEventListener = function (this: AbortSignal, ...a: Parameters<typeof remove>) {
      if (a[0] === 'abort') live -= 1;
      return remove.apply(this, a);
    } as typeof remove;
    try {
      let reads = 0;
      let writes = 0;
      const get = port.get.bind(port);
      port.get = async () => ((reads += 1), get());
      const line = { write: async () => void (writes += 1) };
      startDoor(vault, store, {
        relay: { line, config: { channel: 1, openState: 0x01 }, pulseMs: 1, device: 'door-relay:test' },
        sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 1 },
      });
      const approved = vault.gate.byId(requestEntry(vault, store.requests, vault.users.byLogin(HANDLER.login)!, { purpose: 'entry_paper_documents', note: '' }, null).id)!;
      for (let i = 0; i < 30; i++) store.notifyApproved(approved);
      await until(() => reads > 100 && writes >= 60, '30 pulses and 100 polls');
      expect(live).toBeLessThanOrEqual(2);
    } finally {
      AbortSignal.prototype.addEventListener = add;
      AbortSignal.prototype.removeEventListener = remove;
    }
  });
});
