import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { approveWithPin, cancelRequest, requestReveal, RevealStore, unlockHandlerPin, viewReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(11, 4);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const person = vault.persons.codes('employee').get('E1')!;
  const handler = vault.users.byLogin(HANDLER.login)!;
  return { vault, clock, person, handler, store: new RevealStore() };
}

const pin = (p: string) => new Secret(p);
const actions = (vault: Vault, from: number) => [...vault.auditRepo.iterateRaw(from)].map((r) => r[4]);

describe('the gate: reveal with a PIN at the appliance', () => {
  it('shows the number to the requesting handler for the viewing window, after the entry and reveal are audited', async () => {
    const { vault, clock, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip', note: '年末調整' }, '192.168.1.5', windows);
    expect(r.code).toMatch(/^\d{6}$/);
    expect(viewReveal(vault, store, handler, r.id)).toMatchObject({ state: 'requested' });
    const seq = vault.auditRepo.count();
    await approveWithPin(vault, store, { code: r.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows);
    expect(actions(vault, seq + 1)).toEqual(['gate.entry', 'number.revealed']);
    const shown = viewReveal(vault, store, handler, r.id);
    expect(shown.state).toBe('approved');
    expect(shown.number?.expose()).toBe(NUMBER);
    expect(JSON.stringify([...vault.auditRepo.iterateRaw(1)])).not.toContain(NUMBER);
    clock.advance(windows.viewMs + 1);
    const after = viewReveal(vault, store, handler, r.id);
    expect(after).toMatchObject({ state: 'consumed' });
    expect(after.number).toBeUndefined();
    expect(vault.gate.byId(r.id)?.state).toBe('consumed');
  });

  it('is bound to its handler: another person cannot view it, and only the handler’s own PIN approves it', async () => {
    const { vault, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    const admin = vault.users.byLogin(ADMIN.login)!;
    expect(() => viewReveal(vault, store, admin, r.id)).toThrow(expect.objectContaining({ code: 'not_found' }));
    await expect(approveWithPin(vault, store, { code: r.code, pin: pin(ADMIN.pin), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(vault.gate.byId(r.id)?.state).toBe('requested');
  });

  it('locks the handler after 5 wrong PINs until an admin unlocks, auditing each step', async () => {
    const { vault, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    for (let i = 0; i < 4; i++) {
      await expect(approveWithPin(vault, store, { code: r.code, pin: pin('000001'), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'unauthorized' });
    }
    await expect(approveWithPin(vault, store, { code: r.code, pin: pin('000001'), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'locked' });
    await expect(approveWithPin(vault, store, { code: r.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'locked' });
    const all = actions(vault, 1);
    expect(all.filter((a) => a === 'slot.unlock_failed')).toHaveLength(5);
    expect(all).toContain('gate.pin_locked');
    expect(all).toContain('gate.pin_refused');
    const admin = vault.users.byLogin(ADMIN.login)!;
    unlockHandlerPin(vault, { id: admin.id, name: admin.displayName }, handler.id, null);
    await approveWithPin(vault, store, { code: r.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows);
    expect(viewReveal(vault, store, handler, r.id).number?.expose()).toBe(NUMBER);
  });

  it('expires a request not approved within its window, and cancels on request', async () => {
    const { vault, clock, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    clock.advance(windows.approvalMs);
    await expect(approveWithPin(vault, store, { code: r.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'not_found' });
    expect(viewReveal(vault, store, handler, r.id).state).toBe('expired');
    const again = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    cancelRequest(vault, store.requests, handler, again.id, null);
    await expect(approveWithPin(vault, store, { code: again.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('keeps nothing and approves nothing when the audit events cannot be written', async () => {
    const { vault, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    await expect(approveWithPin(vault, store, { code: r.code, pin: pin(HANDLER.pin), device: 'pinpad:sim' }, windows)).rejects.toMatchObject({ code: 'audit_unavailable' });
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    expect(vault.gate.byId(r.id)?.state).toBe('requested');
    expect(viewReveal(vault, store, handler, r.id).number).toBeUndefined();
  });

  it('refuses a purpose that does not apply and a person without a number', async () => {
    const { vault, person, handler, store } = await setUp();
    expect(() => requestReveal(vault, store.requests, handler, { personId: person, purpose: 'payment_record_fees' }, null)).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => requestReveal(vault, store.requests, handler, { personId: 999, purpose: 'withholding_slip' }, null)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('the PIN pad dialogue', () => {
  it('approves from a replayed keypad transcript: code, Enter, PIN, Enter', async () => {
    const { KeypadDecoder, KeypadLine } = await import('../../src/devices/keypad.js');
    const { PinPadEntry } = await import('../../src/gate/pinpad-entry.js');
    const { vault, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    const usage: Record<string, number> = { '1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e, '7': 0x5f, '8': 0x60, '9': 0x61, '0': 0x62, '\n': 0x58 };
    const report = (u: number) => Uint8Array.of(0, 0, u, 0, 0, 0, 0, 0);
    const transcript = [...`${r.code}\n${HANDLER.pin}\n`].flatMap((c) => [report(usage[c]!), report(0)]);
    const decoder = new KeypadDecoder();
    const line = new KeypadLine();
    const entry = new PinPadEntry();
    for (const bytes of transcript) {
      for (const e of decoder.feed(bytes)) {
        const text = line.apply(e);
        if (text === undefined) continue;
        const step = entry.line(text, 0);
        if (step.step === 'submit') await approveWithPin(vault, store, { code: step.code, pin: step.pin, device: 'pinpad:replay' }, windows);
      }
    }
    expect(viewReveal(vault, store, handler, r.id).number?.expose()).toBe(NUMBER);
  });

  it('starts over on a code that is not 6 digits and when the PIN comes too late', async () => {
    const { PinPadEntry } = await import('../../src/gate/pinpad-entry.js');
    const entry = new PinPadEntry(30_000);
    expect(entry.line('12', 0)).toEqual({ step: 'rejected', reason: 'bad_code' });
    expect(entry.line('123456', 0)).toEqual({ step: 'pin' });
    expect(entry.line('246810', 30_001)).toEqual({ step: 'rejected', reason: 'timeout' });
    expect(entry.waitingFor).toBe('code');
    entry.line('123456', 40_000);
    entry.reset();
    expect(entry.waitingFor).toBe('code');
  });
});
