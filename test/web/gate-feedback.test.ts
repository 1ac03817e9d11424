import { ALL_PURPOSES } from '../helpers/purposes.js';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { fixedClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { auditEvents } from '../helpers/audit.js';
import { keystrokes } from '../helpers/keypad.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const NUMBER = syntheticNumber(7_310_442, 9);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('condition not reached');
}

/** A vault with one person, the PIN pad on a socket (as the simulator and `mnvault pinpad` use), a handler signed in. */
async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { actor: { id: 't', name: 't' }, purposes: ALL_PURPOSES });
  const personId = vault.persons.codes('employee').get('E1')!;
  const store = new RevealStore();
  const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
  attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows);
  const socket = connect(pad.server.address() as string);
  await new Promise((r) => socket.once('connect', r));
  cleanups.push(() => pad.close(), () => store.clear(), () => void socket.destroy());
  const app = testApp(vault, { reveals: store, gateWindows: windows });
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  await handler.get(`/persons/${personId}`);
  const ask = async () => {
    const asked = await handler.post('/gate/reveal', { personId: String(personId), purpose: 'withholding_slip' });
    const path = asked.headers.location!;
    const code = /class="request-code">(\d{6})</u.exec((await handler.get(path)).text)![1]!;
    return { path, code, id: Number(path.split('/').pop()) };
  };
  return { vault, clock, socket, handler, ask, personId };
}

describe('the waiting page talks back', () => {
  it('shows a wrong PIN typed on the pad (no name), the tries left, then the lock; the approval countdown runs', async () => {
    const s = await setUp();
    const r = await s.ask();
    const first = await s.handler.get(`${r.path}/status`);
    expect(first.body.feedback).toMatchObject({ wrongPins: 0, triesLeft: 5, locked: false, approveSecondsLeft: 300, ended: null });
    expect((await s.handler.get(r.path)).text).toContain('承認の受付はあと 5分0秒です。');

    s.socket.write(keystrokes(`${r.code}\n999999\n`));
    const wrong = await until(() => s.handler.get(`${r.path}/status`), (x) => x.body.feedback.wrongPins === 1);
    expect(wrong.body.feedback).toMatchObject({ refusal: 'wrong_pin', triesLeft: 4, locked: false });
    const page = await s.handler.get(r.path);
    expect(page.text).toContain('装置でPINの誤りがありました（この申請で 1 回）。あと 4 回誤るとPINがロックされます。');
    expect(page.text).not.toContain('担当 花子</td>'); // the feedback names nobody

    for (let i = 0; i < 4; i++) s.socket.write(keystrokes(`${r.code}\n99999${i}\n`));
    const locked = await until(() => s.handler.get(`${r.path}/status`), (x) => x.body.feedback.locked === true);
    expect(locked.body.feedback).toMatchObject({ wrongPins: 5, triesLeft: null, refusal: 'locked' });
    expect((await s.handler.get(r.path)).text).toContain('PINがロックされています。この申請は承認できません。');

    s.clock.advance(61_000);
    expect((await s.handler.get(`${r.path}/status`)).body.feedback.approveSecondsLeft).toBe(239);
  });

  it('tells an expired, never-approved request from one shown and then masked', async () => {
    const s = await setUp();
    const expired = await s.ask();
    s.clock.advance(windows.approvalMs + 1);
    const e = await s.handler.get(expired.path);
    expect(e.text).toMatch(/class="notice ended ended-expired">承認されないまま受付時間が終わりました。番号は表示されていません。/u);
    expect((await s.handler.get(`${expired.path}/status`)).body.feedback.ended).toBe('expired');

    const shown = await s.ask();
    s.socket.write(keystrokes(`${shown.code}\n${HANDLER.pin}\n`));
    await until(() => s.handler.get(`${shown.path}/status`), (x) => x.body.state === 'approved');
    s.clock.advance(windows.viewMs + 1);
    const c = await s.handler.get(shown.path);
    expect(c.text).toMatch(/class="notice ended ended-consumed">承認され、表示時間が終わったため番号を隠しました。/u);
    expect(c.text).not.toContain('ended-expired');
    expect((await s.handler.get(`${shown.path}/status`)).body.feedback.ended).toBe('consumed');
  });

  it("lists a handler's own requests with links; an open one is cancelled from the list and an ended one reopened (both audited)", async () => {
    const s = await setUp();
    const a = await s.ask();
    const list = await s.handler.get('/gate');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="/gate/${a.id}"`);
    expect(list.text).toContain('山田 太郎');
    const cancelled = await s.handler.post(`/gate/${a.id}/cancel?from=list`);
    expect(cancelled.headers.location).toBe('/gate?done=cancelled');
    expect((await s.handler.get('/gate?done=cancelled')).text).toContain('申請を取り消しました。');
    expect(s.vault.gate.byId(a.id)!.state).toBe('cancelled');

    const reopened = await s.handler.post(`/gate/${a.id}/reopen`);
    expect(reopened.status).toBe(303);
    const newId = Number(reopened.headers.location!.split('/').pop()!.split('?')[0]);
    expect(newId).not.toBe(a.id);
    expect(s.vault.gate.byId(newId)).toMatchObject({ state: 'requested', personIds: [s.personId], purpose: 'withholding_slip' });
    expect((await s.handler.get(reopened.headers.location!)).text).toContain('同じ内容で申請し直しました。');
    const events = auditEvents(s.vault);
    expect(events.some((e) => e.action === 'gate.cancelled' && e.detail.request_id === a.id)).toBe(true);
    expect(events.find((e) => e.action === 'gate.requested' && e.detail.request_id === newId)?.detail).toMatchObject({ reopened_from: a.id });
    // An open request is not reopened; someone else's request is not found.
    expect((await s.handler.post(`/gate/${newId}/reopen`)).status).toBe(409);
  });

  it("answers a handler's requests from an index, newest first", async () => {
    const s = await setUp();
    const plan = s.vault.db.prepare('EXPLAIN QUERY PLAN SELECT * FROM gate_requests WHERE handler_id = ? ORDER BY id DESC LIMIT ?').all('x', 50) as { detail: string }[];
    const text = plan.map((p) => p.detail).join('\n');
    expect(text).toContain('USING INDEX gate_requests_handler_recent');
    expect(text).not.toContain('TEMP B-TREE');
  });
});
