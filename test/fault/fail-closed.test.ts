import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { approveWithPin, requestReveal, RevealStore, viewReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const actor = { id: 'test', name: '担当 太郎' };
const NUMBER = syntheticNumber(42, 6);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

function importOne(vault: Vault, purposes: string[] = ALL_PURPOSES): number {
  const r = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes, actor });
  expect(r.committed).toBe(true);
  return vault.persons.codes('employee').get('E1')!;
}

/** Makes every audit insert fail, as a full disk or a broken file would. */
function breakAudit(vault: Vault): void {
  vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
}

/** A vault with a handler who has a PIN, and the path every reveal takes: asked in the browser, approved with the PIN at the appliance. */
async function gateVault() {
  const { vault } = await newTestVault();
  await addStaff(vault);
  const handler = vault.users.byLogin(HANDLER.login)!;
  const store = new RevealStore();
  const ask = (personId: number, purpose = 'withholding_slip') => requestReveal(vault, store.requests, handler, { personId, purpose }, null, windows);
  const approve = (code: string, pin: string = HANDLER.pin) => approveWithPin(vault, store, { code, pin: new Secret(pin), device: 'pinpad:test' }, windows);
  const shown = (requestId: number) => viewReveal(vault, store, handler, requestId).number;
  return { vault, store, ask, approve, shown };
}

describe('fail closed', () => {
  it('reveals a number for a legal purpose and records number.revealed first', async () => {
    const { vault, ask, approve, shown } = await gateVault();
    const id = importOne(vault);
    const r = ask(id);
    const before = vault.auditRepo.count();
    await approve(r.code);
    expect(shown(r.id)?.expose()).toBe(NUMBER);
    const last = [...vault.auditRepo.iterateRaw(before + 1)];
    expect(last.map((e) => [e[4], e[6]])).toEqual([
      ['gate.entry', 'withholding_slip'],
      ['number.revealed', 'withholding_slip'],
    ]);
    expect(JSON.stringify(last)).not.toContain(NUMBER);
  });

  it('returns nothing and changes nothing when the reveal event cannot be written', async () => {
    const { vault, store, ask, approve, shown } = await gateVault();
    const id = importOne(vault);
    const r = ask(id);
    const before = vault.auditRepo.count();
    breakAudit(vault);
    let returned: unknown;
    await expect(
      approve(r.code).then((approved) => {
        returned = approved;
      }),
    ).rejects.toMatchObject({ code: 'audit_unavailable' });
    expect(returned).toBeUndefined();
    expect(store.has(r.id, Date.now())).toBe(false);
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    expect(vault.auditRepo.count()).toBe(before);
    expect(vault.gate.byId(r.id)?.state).toBe('requested');
    expect(shown(r.id)).toBeUndefined();
  });

  it('imports nothing when the import event cannot be written', async () => {
    const { vault } = await newTestVault();
    breakAudit(vault);
    expect(() => importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor })).toThrow(
      expect.objectContaining({ code: 'audit_unavailable' }),
    );
    expect(vault.persons.count()).toMatchObject({ persons: 0, held: 0, notProvided: 0 });
  });

  it('audits a wrong PIN as slot.unlock_failed and reveals nothing', async () => {
    const { vault, ask, approve, shown } = await gateVault();
    const id = importOne(vault);
    const r = ask(id);
    await expect(approve(r.code, '975310')).rejects.toMatchObject({ code: 'unauthorized' });
    const last = vault.auditRepo.head()!;
    expect([...vault.auditRepo.iterateRaw(last.seq)][0]![4]).toBe('slot.unlock_failed');
    expect(shown(r.id)).toBeUndefined();
  });

  it('refuses a purpose that does not apply to the person', async () => {
    const { vault, ask } = await gateVault();
    const id = importOne(vault, ['withholding_slip']);
    // Of the person's kind, but never notified to them.
    expect(() => ask(id, 'employment_insurance')).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(() => ask(id, 'marketing')).toThrow(expect.objectContaining({ code: 'invalid' }));
  });

  it('refuses a sealed number moved to another person (associated data)', async () => {
    const { vault, ask, approve, shown } = await gateVault();
    const r = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n従業員,E2,佐藤 花子,${syntheticNumber(43, 6)}\n`), { purposes: ALL_PURPOSES, actor });
    expect(r.committed).toBe(true);
    const [a, b] = [vault.persons.codes('employee').get('E1')!, vault.persons.codes('employee').get('E2')!];
    vault.db.prepare('UPDATE person_numbers SET sealed = (SELECT sealed FROM person_numbers WHERE person_id = ?) WHERE person_id = ?').run(a, b);
    const req = ask(b);
    await expect(approve(req.code)).rejects.toMatchObject({ code: 'tampered' });
    expect(shown(req.id)).toBeUndefined();
  });
});
