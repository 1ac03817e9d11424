import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { canMove, checkMove, type GateState } from '../../src/gate/requests.js';
import { approveWithPin, cancelRequest, requestReveal, RevealStore, viewReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };
const STATES: GateState[] = ['requested', 'approved', 'consumed', 'expired', 'cancelled'];
const ALLOWED = ['requested→approved', 'requested→expired', 'requested→cancelled', 'approved→consumed'];

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${syntheticNumber(11, 4)}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const person = vault.persons.codes('employee').get('E1')!;
  const handler = vault.users.byLogin(HANDLER.login)!;
  return { vault, clock, person, handler, store: new RevealStore() };
}

describe('gate request states: every change goes through the gate’s transition check', () => {
  it('allows exactly the moves of the diagram', () => {
    const allowed = STATES.flatMap((from) => STATES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    expect(allowed).toEqual(ALLOWED);
    expect(() => checkMove('consumed', 'approved')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => checkMove('requested', 'approved')).not.toThrow();
  });

  it('refuses consumed→approved on a stored request and leaves it consumed', async () => {
    const { vault, clock, person, handler, store } = await setUp();
    const r = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    await approveWithPin(vault, store, { code: r.code, pin: new Secret(HANDLER.pin), device: 'pinpad:sim' }, windows);
    clock.advance(windows.viewMs + 1);
    expect(viewReveal(vault, store, handler, r.id).state).toBe('consumed');
    expect(vault.gate.byId(r.id)?.state).toBe('consumed');
    const later = clock.now().toISOString();
    expect(() => vault.gate.setState(r.id, 'approved', { approvedAt: later, viewUntil: later, device: 'pinpad:sim' })).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(vault.gate.byId(r.id)).toMatchObject({ state: 'consumed', device: 'pinpad:sim' });
    expect(viewReveal(vault, store, handler, r.id).number).toBeUndefined();
  });

  it('refuses expired→approved and cancelled→approved, and a second approval', async () => {
    const { vault, clock, person, handler, store } = await setUp();
    const lapsed = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    clock.advance(windows.approvalMs + 1);
    expect(viewReveal(vault, store, handler, lapsed.id).state).toBe('expired');
    expect(() => vault.gate.setState(lapsed.id, 'approved')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(vault.gate.byId(lapsed.id)?.state).toBe('expired');

    const cancelled = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    cancelRequest(vault, store.requests, handler, cancelled.id, null);
    expect(() => vault.gate.setState(cancelled.id, 'approved')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(vault.gate.byId(cancelled.id)?.state).toBe('cancelled');

    const twice = requestReveal(vault, store.requests, handler, { personId: person, purpose: 'withholding_slip' }, null, windows);
    await approveWithPin(vault, store, { code: twice.code, pin: new Secret(HANDLER.pin), device: 'pinpad:sim' }, windows);
    expect(() => vault.gate.setState(twice.id, 'approved')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => vault.gate.setState(twice.id, 'requested')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(vault.gate.byId(twice.id)?.state).toBe('approved');
  });
});
