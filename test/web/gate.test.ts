import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { fixedClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { keystrokes } from '../helpers/keypad.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { until } from '../helpers/until.js';

const NUMBER = syntheticNumber(21, 6);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

describe('reveal through the PIN pad (simulated pad, same decoder and gate)', () => {
  it('shows the number after code and PIN on the pad, then masks it; the auditor cannot ask', async () => {
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault, dataDir } = await newTestVault(clock);
    await addStaff(vault);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const personId = vault.persons.codes('employee').get('E1')!;
    const store = new RevealStore();
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    const statuses: string[] = [];
    attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows, (s) => statuses.push(s.state));
    const app = testApp(vault, { reveals: store, gateWindows: windows });
    try {
      const handler = new Browser(app);
      await handler.signIn(HANDLER.login, HANDLER.password);
      const page = await handler.get(`/persons/${personId}`);
      expect(page.text).toContain('番号を表示する（管理区域で承認）');
      const asked = await handler.post('/gate/reveal', { personId: String(personId), purpose: 'withholding_slip', note: '源泉徴収票' });
      expect(asked.status).toBe(303);
      const waiting = await handler.get(asked.headers.location!);
      const code = /class="request-code">(\d{6})</u.exec(waiting.text)![1]!;
      expect(waiting.text).not.toContain(NUMBER);
      const statusPath = `${asked.headers.location}/status`;
      expect((await handler.get(statusPath)).body).toMatchObject({ state: 'requested', number: null });

      const socket = connect(pad.server.address() as string);
      await new Promise((r) => socket.once('connect', r));
      socket.write(keystrokes(`${code}\n${HANDLER.pin}\n`));
      const shown = await until(
        () => handler.get(statusPath),
        (r) => r.body.state === 'approved',
      );
      expect(shown.body.number).toBe(`${NUMBER.slice(0, 4)} ${NUMBER.slice(4, 8)} ${NUMBER.slice(8)}`);
      expect(shown.headers['cache-control']).toBe('no-store');
      expect(statuses).toContain('approved');
      socket.destroy();

      clock.advance(windows.viewMs + 1);
      expect((await handler.get(statusPath)).body).toMatchObject({ state: 'consumed', number: null });

      const auditor = new Browser(app);
      await auditor.signIn(AUDITOR.login, AUDITOR.password);
      await auditor.get(`/persons/${personId}`);
      expect((await auditor.post('/gate/reveal', { personId: String(personId), purpose: 'withholding_slip' })).status).toBe(403);
      expect((await auditor.get(statusPath)).status).toBe(403);

      const { readdirSync, readFileSync, statSync } = await import('node:fs');
      const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
      for (const f of walk(dataDir)) expect(readFileSync(f).includes(Buffer.from(NUMBER)), f).toBe(false);
    } finally {
      await pad.close();
      store.clear();
    }
  });
});

describe('PIN lockout shown to admins', () => {
  it('lists a PIN-locked handler on the users page and lets the admin unlock them', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const handler = vault.users.byLogin(HANDLER.login)!;
    vault.users.pinFailed(handler.id, 1, new Date().toISOString());
    const admin = new Browser(testApp(vault));
    const { ADMIN } = await import('../helpers/vault.js');
    await admin.signIn(ADMIN.login, ADMIN.password);
    const page = await admin.get('/admin/users');
    expect(page.text).toContain('PINロック中');
    expect((await admin.post(`/admin/users/${handler.id}/unlock-pin`)).status).toBe(303);
    expect(vault.users.pinLockedAt(handler.id)).toBeNull();
    expect(vault.auditRepo.latest(1)[0]![4]).toBe('gate.pin_unlocked');
    expect((await admin.get('/admin/users')).text).not.toContain('PINロック中');
  });
});

describe('export through the gate', () => {
  it('downloads the approved set once, in Shift_JIS, in the import format, and names every person in the audit', async () => {
    const iconv = (await import('iconv-lite')).default;
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault, dataDir } = await newTestVault(clock);
    await addStaff(vault);
    const n = (i: number) => syntheticNumber(300 + i, 6);
    importPersons(
      vault,
      Buffer.from(
        [
          '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号,退職日',
          `従業員,E1,山田 太郎,${n(1)},,,`,
          `扶養親族,,山田 花子,${n(2)},配偶者,E1,`,
          `従業員,E2,佐藤 一郎,${n(3)},,,`,
          `従業員,E3,鈴木 退職,${n(4)},,,2025-03-31`,
          `支払先,P1,田中 翔,${n(5)},,,`,
        ].join('\n'),
      ),
      { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } },
    );
    const store = new RevealStore();
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows);
    const app = testApp(vault, { reveals: store, gateWindows: windows });
    try {
      const handler = new Browser(app);
      await handler.signIn(HANDLER.login, HANDLER.password);
      await handler.get('/gate/export/new');
      const asked = await handler.post('/gate/export', { set: 'employees', purpose: 'withholding_slip', encoding: 'shift_jis' });
      expect(asked.status).toBe(303);
      const waiting = await handler.get(asked.headers.location!);
      expect(waiting.text).toContain('3 名');
      const code = /class="request-code">(\d{6})</u.exec(waiting.text)![1]!;
      const socket = connect(pad.server.address() as string);
      await new Promise((r) => socket.once('connect', r));
      socket.write(keystrokes(`${code}\n${HANDLER.pin}\n`));
      const ready = await until(
        () => handler.get(`${asked.headers.location}/status`),
        (r) => r.body.state === 'approved',
      );
      socket.destroy();
      expect(ready.body.number).toBeNull();
      const file = await handler.getBytes(ready.body.download);
      expect(file.status).toBe(200);
      expect(file.headers['content-disposition']).toMatch(/attachment; filename="mynumber-withholding_slip-\d{8}\.csv"/);
      expect(file.headers['content-type']).toMatch(/text\/csv; charset=Shift_JIS/i);
      const csv = iconv.decode(file.body, 'cp932');
      expect(csv.split('\r\n')[0]).toBe('種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号');
      for (const i of [1, 2, 3]) expect(csv).toContain(n(i));
      for (const i of [4, 5]) expect(csv).not.toContain(n(i));
      expect((await handler.getBytes(ready.body.download)).status).toBe(403);
      const exported = vault.auditRepo.latest(1)[0]!;
      expect(exported[4]).toBe('numbers.exported');
      expect(
        JSON.parse(exported[5])
          .map((s: { name: string }) => s.name)
          .sort(),
      ).toEqual(['佐藤 一郎', '山田 太郎', '山田 花子']);

      // The file reads back into a vault as it is.
      const other = await newTestVault();
      const back = importPersons(other.vault, file.body, { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
      expect(back.errors).toEqual([]);
      expect(back.imported).toMatchObject({ employee: 2, dependant: 1 });

      const { readdirSync, readFileSync, statSync } = await import('node:fs');
      const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
      for (const f of walk(dataDir)) for (const i of [1, 2, 3]) expect(readFileSync(f).includes(Buffer.from(n(i))), f).toBe(false);
    } finally {
      await pad.close();
      store.clear();
    }
  });
});
