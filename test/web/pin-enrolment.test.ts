import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { RevealStore } from '../../src/services/gate.js';
import { PinEnrolmentDesk } from '../../src/services/pin-enrolment.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad, type PinPadStatus } from '../../src/services/pinpad.js';
import { unlockSlot, TEST_PIN_COST } from '../../src/vault/slots.js';
import { auditEvents } from '../helpers/audit.js';
import { keystrokes } from '../helpers/keypad.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const store = new RevealStore();
  const desk = new PinEnrolmentDesk(vault, store.requests, TEST_PIN_COST);
  const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
  const statuses: PinPadStatus[] = [];
  attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', undefined, (s) => statuses.push(s), undefined, undefined, undefined, desk);
  const socket = connect(pad.server.address() as string);
  await new Promise((r) => socket.once('connect', r));
  cleanups.push(() => pad.close(), () => desk.close(), () => store.clear(), () => void socket.destroy());
  const app = testApp(vault, { reveals: store, pinEnrolments: desk });
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  const handlerId = vault.users.byLogin(HANDLER.login)!.id;
  await admin.get(`/admin/users/${handlerId}/pin`);
  return { vault, clock, socket, admin, handlerId, statuses };
}

const pinOpens = async (vault: Awaited<ReturnType<typeof setUp>>['vault'], userId: string, pin: string) => {
  try {
    (await unlockSlot(vault.slots.pinSlotOf(userId)!, { kind: 'pin', pin: new Secret(pin) }, vault.keys.pepper)).wipe();
    return true;
  } catch {
    return false;
  }
};

describe('PIN enrolment at the appliance', () => {
  it('an admin starts it and gets a code; the handler types the code and the new PIN twice on the pad; the admin never types it', async () => {
    const s = await setUp();
    const page = await s.admin.get(`/admin/users/${s.handlerId}/pin`);
    expect(page.text).toContain('装置でPINを登録する（おすすめ）');
    const started = await s.admin.post(`/admin/users/${s.handlerId}/pin-enrolment`, { adminPin: ADMIN.pin });
    expect(started.status).toBe(303);
    const waiting = await s.admin.get(started.headers.location!);
    const code = /class="enrolment-code">(\d{6})</u.exec(waiting.text)![1]!;
    expect(waiting.text).toContain('装置での入力を待っています');

    // A mismatch is refused and leaves the enrolment waiting; the page says why.
    s.socket.write(keystrokes(`${code}\n731946\n731947\n`));
    await until(() => s.statuses, (x) => x.some((st) => st.state === 'refused'));
    expect(s.statuses.map((x) => x.message)).toContain('2回のPINが一致しませんでした。登録番号からやり直してください。');
    expect((await s.admin.get(started.headers.location!)).text).toContain('2回のPINが一致しませんでした。');
    expect(await pinOpens(s.vault, s.handlerId, HANDLER.pin)).toBe(true);

    s.socket.write(keystrokes(`${code}\n731946\n731946\n`));
    await until(() => s.statuses, (x) => x.some((st) => st.message.startsWith('PINを登録しました。')));
    expect(await pinOpens(s.vault, s.handlerId, '731946')).toBe(true);
    expect(s.vault.slots.pinSlotOf(s.handlerId)).toBeDefined();
    expect(await pinOpens(s.vault, s.handlerId, HANDLER.pin)).toBe(false);
    expect((await s.admin.get(started.headers.location!)).text).toContain('PINを登録しました。');
    const events = auditEvents(s.vault);
    expect(events.some((e) => e.action === 'pin.enrolment_started' && e.detail.user_id === s.handlerId)).toBe(true);
    expect(events.find((e) => e.action === 'pin.enrolled')?.actorId).toBe(s.handlerId);
    expect(JSON.stringify(events)).not.toContain('731946');
    // The code is used up: typed again, it is an unknown request code.
    s.statuses.length = 0;
    s.socket.write(keystrokes(`${code}\n731946\n`));
    await until(() => s.statuses, (x) => x.some((st) => st.state === 'refused'));
  });

  it("refuses to start with a wrong admin PIN (beside the field, counted) and the code lapses after its window", async () => {
    const s = await setUp();
    const wrong = await s.admin.post(`/admin/users/${s.handlerId}/pin-enrolment`, { adminPin: '999999' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('あなたのPINが正しくありません。');
    const started = await s.admin.post(`/admin/users/${s.handlerId}/pin-enrolment`, { adminPin: ADMIN.pin });
    s.clock.advance(5 * 60_000 + 1);
    expect((await s.admin.get(started.headers.location!)).text).toContain('有効期限が切れました。');
  });
});
