import { MockBinding } from '@serialport/binding-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemLines } from '../../src/devices/door.js';
import { fixedClock } from '../../src/domain/ports.js';
import { DoorService } from '../../src/services/door.js';
import { RevealStore } from '../../src/services/gate.js';
import type { Vault } from '../../src/services/vault.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

const services: DoorService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not reached: ${what}`);
}

/** A vault, a door whose reed switch (DCD on a MockBinding port) the test opens, and the office app around them. */
async function setUp() {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  await addStaff(vault);
  MockBinding.reset();
  MockBinding.createPort('/dev/ttyUSB-door', { record: true });
  const port = await MockBinding.open({ path: '/dev/ttyUSB-door', baudRate: 9600 });
  const door = { open: false };
  port.get = async (): Promise<ModemLines> => ({ cts: false, dsr: false, dcd: !door.open });
  const store = new RevealStore();
  const service = new DoorService(vault, { sensor: { source: port, line: 'dcd', closedLevel: true, device: 'door-sensor:test', intervalMs: 5 }, heldMs: 60_000, entryMs: 60_000 }, () => {})
    .attach(store)
    .start();
  services.push(service);
  await until(() => service.status().sensor === 'closed', 'first sample');
  const app = testApp(vault, { reveals: store, door: service });
  return { vault, door, service, app };
}

async function forceOpen(vault: Vault, door: { open: boolean }): Promise<number> {
  door.open = true;
  await until(() => vault.doorAlarms.openCount() === 1, 'forced alarm');
  door.open = false;
  return vault.doorAlarms.open()[0]!.id;
}

describe('door alarms on the admin dashboard', () => {
  it('shows a forced opening on every admin home page with a count in the navigation, until acknowledged with a note (audited)', async () => {
    const { vault, door, app } = await setUp();
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const quiet = await admin.get('/');
    expect(quiet.text).toContain('未確認の警報はありません');
    expect(quiet.text).toContain('扉センサー');

    const alarmId = await forceOpen(vault, door);
    const home = await admin.get('/');
    expect(home.text).toContain('承認なしの開放（こじ開けの疑い）');
    expect(home.text).toContain('未確認の警報 1');
    expect(home.text).toContain(`action="/door/alarms/${alarmId}/acknowledge"`);

    const handler = new Browser(app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    const handlerHome = await handler.get('/');
    expect(handlerHome.text).not.toContain('承認なしの開放');
    expect(handlerHome.text).not.toContain('未確認の警報');
    expect((await handler.post(`/door/alarms/${alarmId}/acknowledge`, { note: '確認しました' })).status).toBe(403);

    const done = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: '清掃業者の入室。施錠を確認' });
    expect(done.status).toBe(303);
    const after = await admin.get(done.headers.location!);
    expect(after.text).toContain('警報を確認済みにしました');
    expect(after.text).not.toContain('承認なしの開放（こじ開けの疑い）');
    expect(after.text).not.toContain('未確認の警報 1');
    const event = vault.auditRepo.latest(1)[0]!;
    expect(event[4]).toBe('door.alarm_acknowledged');
    expect(JSON.parse(event[9])).toEqual({ alarm_id: alarmId, kind: 'forced', note: '清掃業者の入室。施錠を確認' });
    expect(vault.doorAlarms.byId(alarmId)).toMatchObject({ acknowledgedBy: vault.users.byLogin(ADMIN.login)!.id, note: '清掃業者の入室。施錠を確認' });

    const again = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: 'もう一度' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('既に確認済み');
  });

  it('refuses an acknowledgement without a note, with a number-like note, or an unknown alarm, in Japanese', async () => {
    const { vault, door, app } = await setUp();
    const alarmId = await forceOpen(vault, door);
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    await admin.get('/');
    const empty = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('メモに書いてください');
    const digits = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: '番号 1234 5678 9012 を確認' });
    expect(digits.status).toBe(400);
    expect(digits.text).toContain('12桁');
    expect(digits.text).not.toContain('1234 5678 9012');
    const long = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: 'あ'.repeat(201) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('200文字以内');
    expect((await admin.post('/door/alarms/9999/acknowledge', { note: '確認' })).status).toBe(404);
    expect((await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: '確認' }, null)).status).toBe(403);
    for (const r of [empty, digits, long]) expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/u);
    expect(vault.doorAlarms.openCount()).toBe(1);
  });

  it('leaves the alarm open when the acknowledgement cannot be audited (fail closed)', async () => {
    const { vault, door, app } = await setUp();
    const alarmId = await forceOpen(vault, door);
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    await admin.get('/');
    vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    const r = await admin.post(`/door/alarms/${alarmId}/acknowledge`, { note: '確認しました' });
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    expect(r.status).toBe(503);
    expect(r.text).toContain('監査記録を書き込めなかった');
    expect(vault.doorAlarms.byId(alarmId)?.acknowledgedAt).toBeNull();
  });

  it('shows the door state beside the PIN pad for admins only', async () => {
    const { door, service, app } = await setUp();
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const closed = await admin.get('/');
    expect(closed.text).toMatch(/扉センサー<\/th><td class="door-closed">閉/u);
    expect(closed.text).toContain('設定なし（MNVAULT_DOOR_RELAY）');
    door.open = true;
    await until(() => service.status().sensor === 'open', 'open');
    expect((await admin.get('/')).text).toMatch(/扉センサー<\/th><td class="door-open">開/u);
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    expect((await auditor.get('/')).text).not.toContain('扉センサー');
  });
});
