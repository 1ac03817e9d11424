import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { SoftAuthenticator } from '../../src/devices/soft-authenticator.js';
import { systemClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { EnrolmentDesk } from '../../src/services/key-enrolment.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { hidKeyOpener, SecurityKeyStation } from '../../src/services/security-key-station.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { keystrokes } from '../helpers/keypad.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(6_031_774_582, 41);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not reached: ${what}`);
}

async function setUp() {
  const { vault } = await newTestVault(systemClock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const store = new RevealStore();
  const key = new SoftAuthenticator({ touch: 'manual', keepaliveMs: 20 });
  const station = new SecurityKeyStation(vault, store, hidKeyOpener(key.transport), { windows, pollMs: 25 });
  await station.start();
  const desk = new EnrolmentDesk(vault, store.requests, station);
  const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
  attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows, () => {}, desk);
  const socket = connect(pad.server.address() as string);
  await new Promise((r) => socket.once('connect', r));
  cleanups.push(() => pad.close(), () => station.close(), () => store.clear(), () => void socket.destroy());
  const app = testApp(vault, { reveals: store, gateWindows: windows, securityKeys: { station, desk } });
  return { vault, key, socket, app, personId: vault.persons.codes('employee').get('E1')! };
}

describe('security keys in the browser', () => {
  it('an admin enrols a key for a handler (code and PIN on the pad, touches on the key); the handler then approves a reveal with a touch', async () => {
    const s = await setUp();
    const admin = new Browser(s.app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const list = await admin.get('/admin/security-keys');
    expect(list.status).toBe(200);
    expect(list.text).toContain('登録済みのキーはありません。');
    const handlerId = s.vault.users.byLogin(HANDLER.login)!.id;
    const started = await admin.post('/admin/security-keys/enrol', { userId: handlerId, label: '総務の青いキー' });
    expect(started.status).toBe(303);
    const page = await admin.get(started.headers.location!);
    const code = /class="request-code">(\d{6})</u.exec(page.text)![1]!;
    expect(page.text).toContain('管理者（あなた）のPIN');
    expect((await admin.get(`${started.headers.location}/status`)).body).toMatchObject({ state: 'waiting_pin' });

    const toucher = setInterval(() => s.key.waitingForTouch && s.key.touch(), 5);
    cleanups.push(() => clearInterval(toucher));
    s.socket.write(keystrokes(`${code}\n${ADMIN.pin}\n`));
    await until(() => admin.get(`${started.headers.location}/status`), (r) => r.body.state === 'done', 'enrolled');
    clearInterval(toucher);
    const after = await admin.get('/admin/security-keys');
    expect(after.text).toContain('総務の青いキー');
    expect(after.text).toContain('担当 花子');
    const home = await admin.get('/');
    expect(home.text).toContain('登録 1 本');

    // The handler asks; the page says a touch will do; one touch approves it.
    const handler = new Browser(s.app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    await handler.get(`/persons/${s.personId}`);
    const asked = await handler.post('/gate/reveal', { personId: String(s.personId), purpose: 'withholding_slip' });
    const waiting = await handler.get(asked.headers.location!);
    expect(waiting.text).toContain('キーが点滅したらタッチしてください');
    await until(() => s.key.waitingForTouch, (v) => v, 'blinking');
    s.key.touch();
    const shown = await until(() => handler.get(`${asked.headers.location}/status`), (r) => r.body.state === 'approved', 'approved');
    expect(shown.body.number).toBe(`${NUMBER.slice(0, 4)} ${NUMBER.slice(4, 8)} ${NUMBER.slice(8)}`);
    const entry = auditEvents(s.vault).find((e) => e.action === 'gate.entry')!;
    expect(entry.detail.method).toBe('security_key');
    expect(JSON.stringify(auditEvents(s.vault))).not.toContain(NUMBER);

    // Revoking: audited, and the key no longer approves.
    const keyId = s.vault.securityKeys.active()[0]!.id;
    // Revoking cannot be undone: the first post asks to confirm and leaves the key active.
    const askedRevoke = await admin.post(`/admin/security-keys/${keyId}/revoke`);
    expect(askedRevoke.status).toBe(200);
    expect(askedRevoke.text).toContain('二度と承認に使えません');
    expect(s.vault.securityKeys.active()).toHaveLength(1);
    const revoked = await admin.post(`/admin/security-keys/${keyId}/revoke`, { confirm: '1' });
    expect(revoked.status).toBe(303);
    expect((await admin.get(revoked.headers.location!)).text).toContain('セキュリティキーを失効させました。');
    expect((await admin.get('/admin/security-keys')).text).toContain('無効化済み');
    expect(s.vault.securityKeys.active()).toEqual([]);
  });

  it('only admins reach the key pages; bad input gets a Japanese message and starts nothing', async () => {
    const s = await setUp();
    for (const [login, password] of [[HANDLER.login, HANDLER.password], [AUDITOR.login, AUDITOR.password]] as const) {
      const b = new Browser(s.app);
      await b.signIn(login, password);
      expect((await b.get('/admin/security-keys')).status).toBe(403);
      expect((await b.post('/admin/security-keys/enrol', { userId: 'x', label: 'x' })).status).toBe(403);
    }
    const admin = new Browser(s.app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    await admin.get('/admin/security-keys');
    const auditorId = s.vault.users.byLogin(AUDITOR.login)!.id;
    for (const [userId, label, message] of [
      [auditorId, 'キー', '有効な事務取扱担当者か管理者'],
      ['no-such-user', 'キー', '有効な事務取扱担当者か管理者'],
      [s.vault.users.byLogin(HANDLER.login)!.id, 'あ'.repeat(61), '60文字以内'],
      [s.vault.users.byLogin(HANDLER.login)!.id, 'a\u0007b', '制御文字'],
    ] as const) {
      const r = await admin.post('/admin/security-keys/enrol', { userId, label });
      expect(r.status).toBe(400);
      expect(r.text).toContain(message);
      expect(r.text).not.toMatch(/at .*\.ts:\d+/u);
    }
    expect((await admin.get('/admin/security-keys/enrol/not-an-id')).status).toBe(404);
    expect((await admin.post('/admin/security-keys/999/revoke')).status).toBe(404);
    expect((await admin.post('/admin/security-keys/abc/revoke')).status).toBe(404);
  });
});
