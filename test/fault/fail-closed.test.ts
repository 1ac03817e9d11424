import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { revealNumber } from '../../src/services/reveal.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const actor = { id: 'test', name: '担当 太郎' };
const NUMBER = syntheticNumber(42, 6);

function importOne(vault: Vault): number {
  const r = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor });
  expect(r.committed).toBe(true);
  return vault.persons.codes('employee').get('E1')!;
}

/** Makes every audit insert fail, as a full disk or a broken file would. */
function breakAudit(vault: Vault): void {
  vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
}

function pinRequest(vault: Vault, personId: number, pin: string = ADMIN.pin) {
  const admin = vault.users.byLogin(ADMIN.login)!;
  return { actor, personId, purpose: 'withholding_slip', slot: vault.slots.pinSlotOf(admin.id)!, input: { kind: 'pin' as const, pin: new Secret(pin) } };
}

describe('fail closed', () => {
  it('reveals a number for a legal purpose and records number.revealed first', async () => {
    const { vault } = await newTestVault();
    const id = importOne(vault);
    const before = vault.auditRepo.count();
    const n = await revealNumber(vault, pinRequest(vault, id));
    expect(n.expose()).toBe(NUMBER);
    const last = [...vault.auditRepo.iterateRaw(before + 1)];
    expect(last.map((r) => [r[4], r[6]])).toEqual([['number.revealed', 'withholding_slip']]);
    expect(JSON.stringify(last)).not.toContain(NUMBER);
  });

  it('returns nothing and changes nothing when the reveal event cannot be written', async () => {
    const { vault } = await newTestVault();
    const id = importOne(vault);
    const before = vault.auditRepo.count();
    breakAudit(vault);
    let returned: unknown;
    await expect(
      revealNumber(vault, pinRequest(vault, id)).then((n) => {
        returned = n;
      }),
    ).rejects.toMatchObject({ code: 'audit_unavailable' });
    expect(returned).toBeUndefined();
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    expect(vault.auditRepo.count()).toBe(before);
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
    const { vault } = await newTestVault();
    const id = importOne(vault);
    await expect(revealNumber(vault, pinRequest(vault, id, '975310'))).rejects.toMatchObject({ code: 'unauthorized' });
    const last = vault.auditRepo.head()!;
    expect([...vault.auditRepo.iterateRaw(last.seq)][0]![4]).toBe('slot.unlock_failed');
  });

  it('refuses a purpose that does not apply to the person', async () => {
    const { vault } = await newTestVault();
    const id = importOne(vault);
    await expect(revealNumber(vault, { ...pinRequest(vault, id), purpose: 'payment_record_fees' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(revealNumber(vault, { ...pinRequest(vault, id), purpose: 'marketing' })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('refuses a sealed number moved to another person (associated data)', async () => {
    const { vault } = await newTestVault();
    const r = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n従業員,E2,佐藤 花子,${syntheticNumber(43, 6)}\n`), { purposes: ALL_PURPOSES, actor });
    expect(r.committed).toBe(true);
    const [a, b] = [vault.persons.codes('employee').get('E1')!, vault.persons.codes('employee').get('E2')!];
    vault.db.prepare('UPDATE person_numbers SET sealed = (SELECT sealed FROM person_numbers WHERE person_id = ?) WHERE person_id = ?').run(a, b);
    await expect(revealNumber(vault, pinRequest(vault, b))).rejects.toMatchObject({ code: 'tampered' });
  });
});
