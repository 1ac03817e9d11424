import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { SYSTEM_ACTOR } from '../../src/domain/audit-events.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { acknowledgeAlarm } from '../../src/services/door.js';
import { approveWithPin, requestEntry, requestReveal, RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { writeTransaction } from '../../src/storage/database.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { keystrokes } from '../helpers/keypad.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(41, 7);

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('condition not reached');
}

async function setUp(start = '2026-04-01T00:00:00Z') {
  const clock = fixedClock(start);
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const store = new RevealStore();
  return { vault, clock, store, app: testApp(vault, { reveals: store }) };
}

describe('entry requests (入室申請) through the gate', () => {
  it('a handler files a visit over HTTP, approves it with code and PIN on the pad, and the entry log shows it with its purpose', async () => {
    const { vault, store, app } = await setUp();
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    attachPinPad(vault, store, keypadPort(pad), 'pinpad:test');
    try {
      const handler = new Browser(app);
      await handler.signIn(HANDLER.login, HANDLER.password);
      const form = await handler.get('/entries/new');
      expect(form.status).toBe(200);
      expect(form.text).toContain('廃棄作業（書類の溶解・媒体の破壊など）');
      const asked = await handler.post('/entries', { purpose: 'entry_disposal', note: '溶解処理の箱詰め' });
      expect(asked.status).toBe(303);
      const waiting = await handler.get(asked.headers.location!);
      expect(waiting.text).toContain('管理区域への入室申請');
      expect(waiting.text).toContain('溶解処理の箱詰め');
      const code = /class="request-code">(\d{6})</u.exec(waiting.text)![1]!;

      const socket = connect(pad.server.address() as string);
      await new Promise((r) => socket.once('connect', r));
      socket.write(keystrokes(`${code}\n${HANDLER.pin}\n`));
      const done = await until(() => handler.get(`${asked.headers.location}/status`), (r) => r.body.state !== 'requested');
      socket.destroy();
      expect(done.body).toMatchObject({ state: 'consumed', number: null, download: null });
      const after = await handler.get(asked.headers.location!);
      expect(after.text).toContain('入室が承認されました');
      expect(after.text).not.toContain('表示時間が終わりました');
      const entry = vault.auditRepo.latest(1)[0]!;
      expect(entry[4]).toBe('gate.entry');
      expect(JSON.parse(entry[5])).toEqual([]);
      expect(entry[6]).toBe('entry_disposal');

      const auditor = new Browser(app);
      await auditor.signIn(AUDITOR.login, AUDITOR.password);
      const log = await auditor.get('/entries?month=2026-04');
      expect(log.status).toBe(200);
      expect(log.text).toContain('入室申請');
      expect(log.text).toContain('廃棄作業（書類の溶解・媒体の破壊など）');
      expect(log.text).toContain('担当 花子');
      expect(log.text).toContain('pinpad:test');
      expect(log.text).toContain('溶解処理の箱詰め');
      expect((await handler.get('/entries')).status).toBe(403);
    } finally {
      await pad.close();
    }
  });

  it('lets an admin file and approve an entry with their own PIN; the auditor cannot file', async () => {
    const { vault, store, app } = await setUp();
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    await admin.get('/entries/new');
    const asked = await admin.post('/entries', { purpose: 'entry_inspection' });
    expect(asked.status).toBe(303);
    const page = await admin.get(asked.headers.location!);
    const code = /class="request-code">(\d{6})</u.exec(page.text)![1]!;
    await approveWithPin(vault, store, { code, pin: new Secret(ADMIN.pin), device: 'pinpad:test' });
    expect((await admin.get(`${asked.headers.location}/status`)).body.state).toBe('consumed');
    // Admins hold no number permission: the reveal and export pages stay closed to them.
    expect((await admin.get('/gate/export/new')).status).toBe(403);

    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    expect((await auditor.get('/entries/new')).status).toBe(403);
    expect((await auditor.post('/entries', { purpose: 'entry_inspection' })).status).toBe(403);
    expect((await auditor.get(asked.headers.location!)).status).toBe(403);
  });

  it('refuses bad purposes, notes and fields in Japanese with 400, and never files for someone else', async () => {
    const { vault, app } = await setUp();
    const handler = new Browser(app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    await handler.get('/entries/new');
    const cases: [Record<string, string>, string][] = [
      [{ purpose: 'withholding_slip' }, '入室の目的を一覧から選んでください'],
      [{ purpose: '' }, '入室の目的を一覧から選んでください'],
      [{ purpose: 'entry_other', note: '' }, '「その他」を選んだときは'],
      [{ purpose: 'entry_maintenance', note: 'あ'.repeat(201) }, '200文字以内'],
      [{ purpose: 'entry_maintenance', note: `番号${NUMBER}の書類` }, '12桁'],
      [{ purpose: 'entry_maintenance', note: 'x'.repeat(1001) }, '形式が正しくありません'],
      [{ purpose: 'entry_maintenance', handlerId: vault.users.byLogin(ADMIN.login)!.id }, '想定外の項目'],
    ];
    const before = vault.auditRepo.count();
    for (const [form, message] of cases) {
      const r = await handler.post('/entries', form);
      expect(r.status, JSON.stringify(form).slice(0, 80)).toBe(400);
      expect(r.text).toContain(message);
      expect(r.text).not.toContain(NUMBER);
      expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/u);
    }
    expect(vault.auditRepo.count()).toBe(before);
    expect(vault.db.prepare("SELECT count(*) FROM gate_requests WHERE kind = 'entry'").pluck().get()).toBe(0);

    const ok = await handler.post('/entries', { purpose: 'entry_other', note: '消火設備の点検立会い' });
    expect(ok.status).toBe(303);
    const id = Number(ok.headers.location!.split('/').pop());
    expect(vault.gate.byId(id)).toMatchObject({ kind: 'entry', handlerId: vault.users.byLogin(HANDLER.login)!.id, personIds: [], note: '消火設備の点検立会い' });
  });
});

describe('the entry log (入退室記録)', () => {
  it('interleaves approvals of every kind with door events and alarms, newest first, with the acknowledgement; never a number', async () => {
    const { vault, clock, store, app } = await setUp();
    const handler = vault.users.byLogin(HANDLER.login)!;
    const adminRow = vault.users.byLogin(ADMIN.login)!;
    const person = vault.persons.codes('employee').get('E1')!;
    const reveal = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null);
    await approveWithPin(vault, store, { code: reveal.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    clock.advance(60_000);
    const alarmId = writeTransaction(vault.db, () => {
      const id = vault.doorAlarms.insert('forced', clock.now().toISOString());
      vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.opened', device: 'door-sensor:test', detail: { authorised: false, request_id: null } });
      vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.forced', device: 'door-sensor:test', detail: { alarm_id: id } });
      return id;
    });
    clock.advance(60_000);
    acknowledgeAlarm(vault, adminRow, alarmId, { note: '警備会社の巡回' }, null);
    clock.advance(60_000);
    const entry = requestEntry(vault, store.requests, handler, { purpose: 'entry_paper_documents' }, null);
    await approveWithPin(vault, store, { code: entry.code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' });
    store.clear();

    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const log = await admin.get('/entries');
    expect(log.status).toBe(200);
    const rows = [...log.text.matchAll(/<tr class="[^"]*">\s*<td>[^<]*<\/td>\s*<td>([^<]*)<\/td>/gu)].map((m) => m[1]);
    expect(rows).toEqual(['承認（入室）', '警報の確認', '警報: 承認なしの開放', '扉が開いた', '承認（入室）']);
    expect(log.text).toContain('番号の表示');
    expect(log.text).toContain('源泉徴収票作成事務');
    expect(log.text).toContain('1 名');
    expect(log.text).toContain('紙の書類の取扱い（保管・取り出し・確認）');
    expect(log.text).toContain('承認なし');
    expect(log.text).toMatch(/確認: [^<]*（2026\/04\/01 09:02）「警備会社の巡回」/u);
    expect(log.text).not.toContain(NUMBER);
    expect(log.text).toContain('2026-04: 5 件');
  });

  it('filters by month in Japan time and pages 50 at a time through the partial index', async () => {
    // Begins before the events it adds: the trail's times never go back, so the clock only moves forward here.
    const { vault, clock, app } = await setUp('2026-03-30T00:00:00Z');
    const clockAt = (iso: string) => clock.advance(Date.parse(iso) - clock.now().getTime());
    // 2026-03-31T15:30Z is 2026-04-01 00:30 in Japan: April's log.
    clockAt('2026-03-31T14:59:00Z');
    writeTransaction(vault.db, () => vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.closed', device: 'door-sensor:test' }));
    clockAt('2026-03-31T15:30:00Z');
    writeTransaction(vault.db, () => {
      for (let i = 0; i < 55; i++) vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.opened', device: 'door-sensor:test', detail: { authorised: true, request_id: i + 1 } });
    });
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const march = await auditor.get('/entries?month=2026-03');
    expect(march.text).toContain('2026-03: 1 件');
    const first = await auditor.get('/entries?month=2026-04');
    expect(first.text).toContain('2026-04: 55 件（1 / 2 ページ）');
    expect(first.text).toContain('（申請 #55）');
    expect(first.text).not.toContain('（申請 #5）<');
    expect(first.text).toContain('href="/entries?month=2026-04&amp;page=2"');
    const second = await auditor.get('/entries?month=2026-04&page=2');
    expect(second.text).toContain('（申請 #5）');
    expect(second.text).not.toContain('（申請 #6）');
    expect((await auditor.get('/entries?month=2026-05')).text).toContain('この月の記録はありません');

    const plan = vault.db
      .prepare("EXPLAIN QUERY PLAN SELECT seq FROM audit_events WHERE (action = 'gate.entry' OR action GLOB 'door.*') AND at >= ? AND at < ? ORDER BY at DESC, seq DESC LIMIT 50")
      .all('2026-03-31T15:00:00.000Z', '2026-04-30T15:00:00.000Z') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('audit_events_entry_log');
  });

  it('answers bad months and pages with a Japanese 400, never a stack trace', async () => {
    const { app } = await setUp();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    for (const q of ['month=2026-13', 'month=abc', 'month=1999-12', 'month=2026-4', 'month=2026-04&month=2026-05', 'month=', 'month=2026-04&page=0', 'month=2026-04&page=-1', 'month=2026-04&page=1e3']) {
      const r = await auditor.get(`/entries?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.text).toMatch(/YYYY-MM|ページ番号/u);
      expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/u);
    }
  });
});
