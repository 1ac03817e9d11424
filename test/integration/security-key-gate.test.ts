import { createPublicKey } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAssertion } from '../../src/devices/ctap2.js';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../../src/devices/soft-authenticator.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { requestReveal, RevealStore, viewReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { EnrolmentDesk } from '../../src/services/key-enrolment.js';
import { hidKeyOpener, SecurityKeyStation } from '../../src/services/security-key-station.js';
import { approveWithSecurityKey, commitmentFor, revokeSecurityKey, RP_ID } from '../../src/services/security-keys.js';
import type { Vault } from '../../src/services/vault.js';
import { auditEvents } from '../helpers/audit.js';
import { scanDataDir } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(4_820_166_395, 31);
const OTHER_NUMBER = syntheticNumber(4_820_166_395, 32);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };
const b64u = (s: unknown) => Buffer.from(String(s), 'base64url');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(ok: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A vault with staff and two people, a software key on the station's bus, and the enrolment desk. */
async function setUp(touch: 'auto' | 'manual' = 'manual', keyOptions: SoftAuthenticatorOptions = {}) {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n従業員,E2,鈴木 一郎,${OTHER_NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const store = new RevealStore();
  const key = new SoftAuthenticator({ touch, keepaliveMs: 20, userPresenceTimeoutMs: 5_000, ...keyOptions });
  const statuses: string[] = [];
  const messages: string[] = [];
  const station = new SecurityKeyStation(vault, store, hidKeyOpener(key.transport), {
    windows,
    pollMs: 25,
    touchTimeoutMs: 5_000,
    onStatus: (s) => {
      statuses.push(s.state);
      messages.push(s.message);
    },
  });
  await station.start();
  const desk = new EnrolmentDesk(vault, store.requests, station);
  cleanups.push(() => station.close(), () => store.clear());
  const admin = vault.users.byLogin(ADMIN.login)!;
  const handler = vault.users.byLogin(HANDLER.login)!;
  const person = vault.persons.codes('employee').get('E1')!;
  return { vault, dataDir, clock, store, key, station, desk, admin, handler, person, statuses, messages };
}

/** Touches the key whenever it blinks, as its holder would, until stopped. */
function holder(key: SoftAuthenticator): () => void {
  const t = setInterval(() => key.waitingForTouch && key.touch(), 5);
  return () => clearInterval(t);
}

async function enrol(s: Awaited<ReturnType<typeof setUp>>, userId = s.handler.id, label = '青いキー') {
  const e = s.desk.start(s.admin, userId, label, Date.now());
  expect(e.code).toMatch(/^\d{6}$/u);
  const stop = holder(s.key);
  try {
    return await s.desk.complete(e.code, new Secret(ADMIN.pin), Date.now());
  } finally {
    stop();
  }
}

const actions = (vault: Vault) => auditEvents(vault).map((e) => e.action);

describe('security keys at the gate (software CTAP2 authenticator behind the HID bus)', () => {
  it('an admin enrols a key to a handler at the appliance; a touch then approves the oldest request, and the audit event lets anyone check the signature offline', async () => {
    const s = await setUp();
    const enrolled = await enrol(s);
    expect(enrolled.state).toBe('done');
    const row = s.vault.securityKeys.byId(enrolled.keyId!)!;
    expect(row.userId).toBe(s.handler.id);
    expect(s.vault.slots.byId(row.slotId)?.params.kind).toBe('fido2');
    expect(actions(s.vault)).toEqual(expect.arrayContaining(['slot.added', 'security_key.enrolled']));

    // Two requests: the touch approves the older one first.
    const first = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip', note: '年末調整' }, null, windows);
    s.clock.advance(1000);
    const second = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.vault.persons.codes('employee').get('E2')!, purpose: 'withholding_slip' }, null, windows);
    await until(() => s.key.waitingForTouch, 'the key blinks for the pending request');
    expect(s.vault.gate.byId(first.id)!.state).toBe('requested');
    s.key.touch();
    await until(() => s.vault.gate.byId(first.id)!.state === 'approved', 'first approved');
    expect(s.vault.gate.byId(second.id)!.state).toBe('requested');
    const view = viewReveal(s.vault, s.store, s.handler, first.id);
    expect(view.number?.expose()).toBe(NUMBER);

    // The entry event keeps the assertion whole; it verifies offline against the enrolled public key.
    const entry = auditEvents(s.vault).find((e) => e.action === 'gate.entry' && e.detail.request_id === first.id)!;
    expect(entry.detail).toMatchObject({ method: 'security_key', key_id: row.id, kind: 'reveal' });
    const enrolledEvent = auditEvents(s.vault).find((e) => e.action === 'security_key.enrolled')!;
    const publicKey = createPublicKey({ key: b64u(enrolledEvent.detail.public_key), format: 'der', type: 'spki' });
    const clientDataHash = b64u(entry.detail.clientDataHash);
    expect(clientDataHash.equals(commitmentFor(s.vault.gate.byId(first.id)!))).toBe(true);
    const offline = checkAssertion({ rpId: RP_ID, authData: b64u(entry.detail.authData), clientDataHash, signature: b64u(entry.detail.signature), publicKey, storedCounter: 0 });
    expect(offline).toEqual({ ok: true, signCount: entry.detail.signCount });
    // A signature over another request's commitment does not verify: it commits to this one.
    const forged = checkAssertion({ rpId: RP_ID, authData: b64u(entry.detail.authData), clientDataHash: commitmentFor(s.vault.gate.byId(second.id)!), signature: b64u(entry.detail.signature), publicKey, storedCounter: 0 });
    expect(forged).toEqual({ ok: false, problem: 'signature' });
    expect(s.vault.securityKeys.byId(row.id)!.signCount).toBe(entry.detail.signCount);

    // The next touch approves the second request.
    await until(() => s.key.waitingForTouch, 'blinks again');
    s.key.touch();
    await until(() => s.vault.gate.byId(second.id)!.state === 'approved', 'second approved');
    expect(scanDataDir(s.dataDir, [NUMBER, OTHER_NUMBER]).hits).toEqual([]);
  });

  it("another person's key cannot approve a request, and a revoked key is no longer recognised", async () => {
    const s = await setUp();
    // The key is enrolled to the admin, not to the handler who asks.
    await enrol(s, s.admin.id, '管理者のキー');
    const r = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    await until(() => s.station.statuses()[0]?.state === 'idle' && s.station.statuses()[0]?.owner !== null, 'key recognised as the admin’s');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.key.waitingForTouch).toBe(false);
    expect(s.vault.gate.byId(r.id)!.state).toBe('requested');

    const keyId = s.vault.securityKeys.active()[0]!.id;
    revokeSecurityKey(s.vault, s.admin, keyId, null);
    expect(actions(s.vault)).toContain('security_key.revoked');
    await until(() => s.station.statuses()[0]?.state === 'unregistered', 'revoked key unrecognised');
    expect(s.vault.slots.byId(s.vault.securityKeys.byId(keyId)!.slotId)).toBeUndefined();
  });

  it('refuses to enrol a key that is already enrolled to someone, naming them', async () => {
    const s = await setUp();
    await enrol(s, s.handler.id, '最初の登録');
    const again = s.desk.start(s.admin, s.admin.id, '二度目', Date.now());
    const stop = holder(s.key);
    try {
      await expect(s.desk.complete(again.code, new Secret(ADMIN.pin), Date.now())).rejects.toMatchObject({ code: 'conflict', publicMessage: expect.stringContaining('既に 担当 花子 さんに登録されています') });
    } finally {
      stop();
    }
    expect(s.vault.securityKeys.active()).toHaveLength(1);
    expect(s.desk.get(again.id, s.admin.id, Date.now())!.state).toBe('failed');
  });

  it('a handler locked for wrong PINs cannot approve with the key either, until an admin unlocks', async () => {
    const s = await setUp('auto');
    await enrol(s);
    s.vault.users.pinFailed(s.handler.id, 1, new Date().toISOString());
    const r = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    await until(() => s.station.statuses()[0]?.message.includes('ロックまたは無効') ?? false, 'the key says the holder is locked');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.vault.gate.byId(r.id)!.state).toBe('requested');
    // The service refuses too, should a touch get through (a lock that lands between the check and the touch).
    await expect(approveWithSecurityKey(s.vault, s.store, { requestId: r.id, keyId: s.vault.securityKeys.active()[0]!.id, assertion: { credentialId: Buffer.alloc(1), authData: Buffer.alloc(37), signature: Buffer.alloc(8), hmacSecret: new Secret(new Uint8Array(32)) }, device: 'test' }, windows)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(auditEvents(s.vault).find((e) => e.action === 'gate.key_refused')!.detail).toMatchObject({ request_id: r.id, reason: 'pin_locked' });
    s.vault.users.unlockPin(s.handler.id);
    await until(() => s.vault.gate.byId(r.id)!.state === 'approved', 'approved after unlock');
  });

  it('a wrong admin PIN at enrolment stores nothing and counts toward the PIN lock', async () => {
    const s = await setUp();
    const e = s.desk.start(s.admin, s.handler.id, 'キー', Date.now());
    await expect(s.desk.complete(e.code, new Secret('999999'), Date.now())).rejects.toMatchObject({ code: 'unauthorized' });
    expect(s.vault.securityKeys.active()).toEqual([]);
    expect(s.desk.get(e.id, s.admin.id, Date.now())!.state).toBe('waiting_pin');
    expect(auditEvents(s.vault).filter((x) => x.action === 'slot.unlock_failed').at(-1)!.detail).toMatchObject({ during: 'security_key_enrolment', failures: 1 });
    // Someone else's enrolment code cannot be read by another admin's session.
    expect(s.desk.get(e.id, s.handler.id, Date.now())).toBeUndefined();
  });

  it('a key that gives up on the touch with 0x3A (ACTION_TIMEOUT, as other firmware answers) is asked again, keeps its session, and a later touch approves', async () => {
    const s = await setUp('manual', { userPresenceTimeoutMs: 120, userPresenceTimeoutStatus: 0x3a });
    await enrol(s);
    const r = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    // Left untouched, the key blinks, gives up, and is asked again: three blinks mean two timeouts.
    let blinks = 0;
    let was = false;
    await until(() => {
      if (s.key.waitingForTouch && !was) blinks++;
      was = s.key.waitingForTouch;
      return blinks >= 3;
    }, 'asked again after the key gave up twice');
    expect(s.statuses).not.toContain('error');
    expect(s.messages.filter((m) => m.includes('通信に失敗'))).toEqual([]);
    expect(s.station.statuses()).toHaveLength(1);
    expect(s.station.statuses()[0]!.state).toBe('waiting_touch');
    await until(() => s.key.waitingForTouch, 'blinking');
    s.key.touch();
    await until(() => s.vault.gate.byId(r.id)!.state === 'approved', 'approved after the timeouts');
  });

  it('unplugging during the touch leaves the request pending; plugged back, a touch approves it', async () => {
    const s = await setUp();
    await enrol(s);
    const r = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    await until(() => s.key.waitingForTouch, 'blinking');
    s.key.unplug();
    await until(() => s.station.statuses().length === 0, 'session gone');
    expect(s.vault.gate.byId(r.id)!.state).toBe('requested');
    expect(viewReveal(s.vault, s.store, s.handler, r.id).number).toBeUndefined();
    s.key.plug();
    await until(() => s.key.waitingForTouch, 'blinking after replug');
    s.key.touch();
    await until(() => s.vault.gate.byId(r.id)!.state === 'approved', 'approved after replug');
  });

  it('a cloned key whose counter went back is refused and audited; nothing is shown', async () => {
    const s = await setUp();
    await enrol(s);
    const before = s.key.state;
    const r1 = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    await until(() => s.key.waitingForTouch, 'blinking');
    s.key.touch();
    await until(() => s.vault.gate.byId(r1.id)!.state === 'approved', 'approved');
    // The clone: same secret, older counter, plugged in instead of the original.
    s.key.unplug();
    await until(() => s.station.statuses().length === 0, 'original gone');
    const clone = new SoftAuthenticator({ state: before, touch: 'auto', keepaliveMs: 20 });
    const station = new SecurityKeyStation(s.vault, s.store, hidKeyOpener(clone.transport), { windows, pollMs: 25 });
    cleanups.push(() => station.close());
    const r2 = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    await station.start();
    await until(() => auditEvents(s.vault).some((e) => e.action === 'gate.key_refused'), 'refusal audited');
    expect(auditEvents(s.vault).find((e) => e.action === 'gate.key_refused')!.detail).toMatchObject({ request_id: r2.id, reason: 'counter' });
    expect(s.vault.gate.byId(r2.id)!.state).toBe('requested');
    expect(viewReveal(s.vault, s.store, s.handler, r2.id).number).toBeUndefined();
  });

  it('fails closed: when the audit event cannot be written, the touch approves nothing and nothing is kept', async () => {
    const s = await setUp();
    await enrol(s);
    const r = requestReveal(s.vault, s.store.requests, s.handler, { personId: s.person, purpose: 'withholding_slip' }, null, windows);
    const counter = s.vault.securityKeys.active()[0]!.signCount;
    s.vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    await until(() => s.key.waitingForTouch, 'blinking');
    s.key.touch();
    await until(() => s.statuses.includes('error'), 'refused');
    expect(s.vault.gate.byId(r.id)!.state).toBe('requested');
    expect(viewReveal(s.vault, s.store, s.handler, r.id).number).toBeUndefined();
    // The counter did not move either: it commits with the approval or not at all.
    expect(s.vault.securityKeys.active()[0]!.signCount).toBe(counter);
  });
});
