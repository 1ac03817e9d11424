import Database from 'better-sqlite3-multiple-ciphers';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser } from '../../src/services/accounts.js';
import { approveDisposal, cancelDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { clearHold, disposalList, setHold, updateRule, updateSchedule } from '../../src/services/retention.js';
import { requestReveal } from '../../src/services/gate.js';
import type { Vault } from '../../src/services/vault.js';
import { DB_CIPHER } from '../../src/storage/database.js';
import type { UserRow } from '../../src/storage/users-repo.js';
import { auditEvents } from '../helpers/audit.js';
import { filesUnder, scanDataDir } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const N = {
  e1: syntheticNumber(1, 61),
  e2: syntheticNumber(2, 61),
  e3: syntheticNumber(3, 61),
  d1: syntheticNumber(4, 61),
  p1: syntheticNumber(5, 61),
  e4: syntheticNumber(6, 61),
};

const CSV = [
  '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号',
  `従業員,E1,退職 一郎,${N.e1},,`,
  `従業員,E2,退職 二郎,${N.e2},,`,
  `従業員,E3,在職 三郎,${N.e3},,`,
  `扶養親族,,退職 花子,${N.d1},配偶者,E1`,
  `支払先,P1,講師 五郎,${N.p1},,`,
  `従業員,E4,最近 四郎,${N.e4},,`,
].join('\n');

/** A vault in 2035 whose E1, E2, P1 and E1's dependant ended in 2026 (due), E4 in 2035 (not due), E3 still employed. */
async function setUp() {
  const clock = fixedClock('2035-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const system = { id: 'test', name: 'テスト' };
  expect(importPersons(vault, Buffer.from(CSV), { purposes: ALL_PURPOSES, actor: system }).committed).toBe(true);
  const id = (kind: 'employee' | 'payee', code: string) => vault.persons.codes(kind).get(code)!;
  const ids = { e1: id('employee', 'E1'), e2: id('employee', 'E2'), e3: id('employee', 'E3'), e4: id('employee', 'E4'), p1: id('payee', 'P1'), d1: 0 };
  ids.d1 = vault.persons.dependantsOf(ids.e1)[0]!.id;
  retirePerson(vault, system, ids.e1, '2026-03-31', null);
  retirePerson(vault, system, ids.e2, '2026-03-31', null);
  retirePerson(vault, system, ids.p1, '2026-06-30', null);
  retirePerson(vault, system, ids.e4, '2035-03-31', null);
  const admin = vault.users.byLogin(ADMIN.login)!;
  const handler = vault.users.byLogin(HANDLER.login)!;
  return { vault, dataDir, clock, ids, admin, handler };
}

function sealedOf(vault: Vault, id: number): { sealed: Buffer; index: Buffer } {
  const r = vault.db.prepare('SELECT sealed, number_index FROM person_numbers WHERE person_id = ?').get(id) as { sealed: Buffer; number_index: Buffer };
  return { sealed: Buffer.from(r.sealed), index: Buffer.from(r.number_index) };
}

/** A decrypted page-for-page copy of the database: copied, switched out of WAL, rekeyed to no cipher. */
function plaintextCopy(vault: Vault, dataDir: string, withWal = true): Buffer {
  const dir = tempDir('mnvault-plain-');
  const copy = join(dir, 'copy.db');
  copyFileSync(join(dataDir, 'vault.db'), copy);
  if (withWal && existsSync(join(dataDir, 'vault.db-wal'))) copyFileSync(join(dataDir, 'vault.db-wal'), `${copy}-wal`);
  const db = new Database(copy);
  try {
    db.pragma(`cipher='${DB_CIPHER}'`);
    db.pragma(`key="raw:${vault.dbKey.expose().toString('hex')}"`);
    db.pragma('journal_mode = DELETE');
    db.pragma(`rekey=''`);
  } finally {
    db.close();
  }
  const bytes = readFileSync(copy);
  rmSync(dir, { recursive: true, force: true });
  expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
  return bytes;
}

/** A reveal of a person's number as a handler asks for it; approved at the appliance only if asked. */
function askReveal(vault: Vault, user: UserRow, personId: number) {
  return requestReveal(vault, new RequestMemory(), user, { personId, purpose: 'withholding_slip' }, null);
}

describe('disposal (削除・廃棄)', () => {
  it('lists what is due by batch, with the rule, and leaves the employed and the not-yet-due out', async () => {
    const { vault, ids } = await setUp();
    const list = disposalList(vault);
    expect(list.batches.map((b) => [b.label, b.overdue])).toEqual([
      ['2032年3月末', true],
      ['2034年3月末', true],
    ]);
    const all = list.batches.flatMap((b) => b.entries.map((e) => [e.name, e.retention.end, e.retention.governing.map((r) => r.code).join()]));
    expect(all).toEqual(
      expect.arrayContaining([
        ['講師 五郎', '2032-01-31', 'payment_record'],
        ['退職 一郎', '2034-01-10', 'dependant_declaration'],
        ['退職 二郎', '2034-01-10', 'dependant_declaration'],
        ['退職 花子', '2034-01-10', 'dependant_declaration'],
      ]),
    );
    expect(all).toHaveLength(4);
    expect(all.flat()).not.toContain('在職 三郎');
    expect(all.flat()).not.toContain('最近 四郎');
    expect(ids.e3).toBeGreaterThan(0);
  });

  it('destroys the sealed numbers and their keyed index: gone from the file, the WAL and a decrypted copy, and no longer a duplicate', async () => {
    const { vault, dataDir, ids, admin, handler } = await setUp();
    const gone = [ids.e1, ids.d1];
    const before = Object.fromEntries(gone.map((id) => [id, sealedOf(vault, id)]));
    const kept = sealedOf(vault, ids.e3);
    const disposalId = proposeDisposal(vault, handler, { personIds: gone.map(String), note: '2034年3月期の廃棄' }, null);
    const result = approveDisposal(vault, admin, disposalId, '192.0.2.1');
    expect(result).toMatchObject({ count: 2, samePerson: false, checkpointed: true });

    for (const id of gone) {
      const row = vault.db.prepare('SELECT state, sealed, number_index, disposed_at FROM person_numbers WHERE person_id = ?').get(id);
      expect(row).toEqual({ state: 'disposed', sealed: null, number_index: null, disposed_at: '2035-04-01T00:00:00.000Z' });
      expect(vault.persons.personWithIndex(before[id]!.index)).toBeUndefined();
      expect(() => askReveal(vault, handler, id)).toThrow(expect.objectContaining({ code: 'invalid', publicMessage: 'この人物の個人番号は登録されていません。' }));
    }
    expect(vault.persons.numberOf(ids.e2)!.state).toBe('held');

    // The WAL was truncated; nothing under the data folder holds the numbers, their boxes or their index.
    const wal = join(dataDir, 'vault.db-wal');
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    expect(scanDataDir(dataDir, Object.values(N)).hits).toEqual([]);
    for (const f of filesUnder(dataDir)) {
      const bytes = readFileSync(f);
      for (const id of gone) {
        expect(bytes.includes(before[id]!.sealed), `${f} holds a sealed box`).toBe(false);
        expect(bytes.includes(before[id]!.index), `${f} holds an index`).toBe(false);
      }
    }

    // Decrypted page for page (free space included): the kept box is there, the disposed ones are not.
    const plain = plaintextCopy(vault, dataDir);
    expect(plain.includes(kept.sealed)).toBe(true);
    expect(plain.includes(kept.index)).toBe(true);
    for (const id of gone) {
      expect(plain.includes(before[id]!.sealed)).toBe(false);
      expect(plain.includes(before[id]!.index)).toBe(false);
    }
    for (const n of Object.values(N)) expect(plain.includes(Buffer.from(n))).toBe(false);

    // The same number comes back in: not a duplicate of the disposed person.
    const again = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E9,再入社 一郎,${N.e1}\n`), { purposes: ALL_PURPOSES, actor: { id: 'test', name: 'テスト' } });
    expect(again.errors).toEqual([]);
    expect(again.committed).toBe(true);
    // While a number still held is.
    const dup = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E10,重複 二郎,${N.e2}\n`), { purposes: ALL_PURPOSES, actor: { id: 'test', name: 'テスト' } });
    expect(dup.committed).toBe(false);
    expect(dup.errors[0]!.message).toContain('重複');
  });

  it('needs the checkpoint: while a reader pins the WAL the database file keeps the old page, and the checkpoint removes it', async () => {
    const { vault, dataDir, ids, admin, handler } = await setUp();
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = sealedOf(vault, ids.e1);
    const reader = new Database(join(dataDir, 'vault.db'));
    reader.pragma(`cipher='${DB_CIPHER}'`);
    reader.pragma(`key="raw:${vault.dbKey.expose().toString('hex')}"`);
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM person_numbers').get();
    vault.db.pragma('busy_timeout = 0');
    try {
      const r = approveDisposal(vault, admin, proposeDisposal(vault, handler, { personIds: [String(ids.e1)] }, null), null);
      expect(r.checkpointed).toBe(false);
      expect(plaintextCopy(vault, dataDir, false).includes(before.sealed)).toBe(true);
    } finally {
      reader.prepare('COMMIT').run();
      reader.close();
      vault.db.pragma('busy_timeout = 5000');
    }
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(plaintextCopy(vault, dataDir, false).includes(before.sealed)).toBe(false);
  });

  it('keeps a disposal record without the number and writes one number.disposed event in the certificate shape', async () => {
    const { vault, ids, admin, handler } = await setUp();
    const from = vault.auditRepo.count() + 1;
    const disposalId = proposeDisposal(vault, handler, { batch: '2034-03-31', note: '年度末の一括廃棄' }, null);
    approveDisposal(vault, admin, disposalId, null);
    const d = vault.retention.disposal(disposalId)!;
    expect(d).toMatchObject({ state: 'executed', batch: '2034年3月末', proposedBy: handler.id, approvedBy: admin.id, samePerson: false, backupsAgedOutOn: '2035-06-30' });
    expect(d.executedAt).toBe('2035-04-01T00:00:00.000Z');
    expect(vault.retention.disposalPersons(disposalId).map((p) => p.personId).sort()).toEqual([ids.e1, ids.e2, ids.d1].sort());

    const events = auditEvents(vault, from);
    expect(events.map((e) => e.action)).toEqual(['disposal.proposed', 'disposal.approved', 'number.disposed']);
    const disposed = events[2]!;
    expect(disposed.actorId).toBe(admin.id);
    expect(disposed.subjects.map((s) => s.id).sort()).toEqual([ids.e1, ids.e2, ids.d1].sort());
    expect(Object.keys(disposed.detail).sort()).toEqual(['approved_by', 'batch', 'disposal_id', 'proposed_by', 'reason']);
    expect(disposed.detail).toMatchObject({ disposal_id: disposalId, proposed_by: handler.id, approved_by: admin.id, batch: '2034年3月末' });
    expect(disposed.detail.reason).toBe('保管期間の経過（扶養控除等申告書 7年）／年度末の一括廃棄');
    const record = JSON.stringify([events, d, vault.retention.disposalPersons(disposalId)]);
    for (const n of Object.values(N)) expect(record).not.toContain(n);
    // Each person's history shows the disposal.
    expect(vault.auditRepo.forPerson(ids.e2).map((r) => r[4])).toContain('number.disposed');
  });

  it('refuses the proposer as approver when there are two admins, and a handler always', async () => {
    const { vault, admin, handler } = await setUp();
    const second = await createUser(vault, { id: admin.id, name: admin.displayName }, { login: 'kanri2', displayName: '責任者 二号', role: 'admin', password: new Secret('second admin pass 1') }, null);
    const disposalId = proposeDisposal(vault, admin, { batch: '2034-03-31' }, null);
    expect(() => approveDisposal(vault, admin, disposalId, null)).toThrow(expect.objectContaining({ code: 'forbidden', publicMessage: expect.stringContaining('提案した本人は承認できません') }));
    expect(() => approveDisposal(vault, handler, disposalId, null)).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(vault.retention.disposal(disposalId)!.state).toBe('proposed');
    expect(vault.persons.count().held).toBe(6);
    const r = approveDisposal(vault, second, disposalId, null);
    expect(r.samePerson).toBe(false);
    expect(vault.retention.disposal(disposalId)).toMatchObject({ state: 'executed', approvedBy: second.id, samePerson: false });
  });

  it('refuses the proposer who disabled the other admin after proposing (no approving alone by turning off the second person)', async () => {
    const { vault, admin } = await setUp();
    const actor = { id: admin.id, name: admin.displayName };
    const second = await createUser(vault, actor, { login: 'kanri2', displayName: '責任者 二号', role: 'admin', password: new Secret('second admin pass 1') }, null);
    const disposalId = proposeDisposal(vault, admin, { batch: '2034-03-31' }, null);
    const { setUserDisabled } = await import('../../src/services/accounts.js');
    setUserDisabled(vault, actor, second.id, true, null);
    expect(() => approveDisposal(vault, admin, disposalId, null)).toThrow(expect.objectContaining({ code: 'forbidden', publicMessage: expect.stringContaining('提案後に無効にされた') }));
    expect(vault.retention.disposal(disposalId)!.state).toBe('proposed');
  });

  it('lets the only admin propose and approve, and records that the same person did both', async () => {
    const { vault, admin } = await setUp();
    const disposalId = proposeDisposal(vault, admin, { batch: '2032-03-31' }, null);
    const r = approveDisposal(vault, admin, disposalId, null);
    expect(r.samePerson).toBe(true);
    expect(vault.retention.disposal(disposalId)!.samePerson).toBe(true);
    const approved = auditEvents(vault).find((e) => e.action === 'disposal.approved')!;
    expect(approved.detail.same_person).toBe(true);
  });

  it('honours a legal hold: skipped in a batch, refused when chosen, and blocks an approval set after the proposal', async () => {
    const { vault, ids, admin, handler } = await setUp();
    const actor = { id: handler.id, name: handler.displayName };
    setHold(vault, actor, ids.e2, '税務調査対応中（2035年度）', null);
    expect(disposalList(vault).held.map((e) => e.name)).toEqual(['退職 二郎']);
    const batch = proposeDisposal(vault, handler, { batch: '2034-03-31' }, null);
    expect(vault.retention.disposalPersons(batch).map((p) => p.personId).sort()).toEqual([ids.e1, ids.d1].sort());
    cancelDisposal(vault, handler, batch, null);
    expect(() => proposeDisposal(vault, handler, { personIds: [String(ids.e2)] }, null)).toThrow(expect.objectContaining({ code: 'conflict', publicMessage: expect.stringContaining('退職 二郎') }));

    clearHold(vault, actor, ids.e2, null);
    const chosen = proposeDisposal(vault, handler, { personIds: [String(ids.e1), String(ids.e2)] }, null);
    setHold(vault, actor, ids.e2, '労働審判の証拠保全', null);
    expect(() => approveDisposal(vault, admin, chosen, null)).toThrow(expect.objectContaining({ code: 'conflict', publicMessage: expect.stringContaining('保留中') }));
    expect(vault.persons.numberOf(ids.e1)!.state).toBe('held');
    expect(vault.persons.numberOf(ids.e2)!.state).toBe('held');
    const actions = auditEvents(vault).map((e) => e.action);
    expect(actions.filter((a) => a === 'retention.hold_set')).toHaveLength(2);
    expect(actions).toContain('retention.hold_cleared');
    expect(actions).toContain('disposal.cancelled');
    expect(actions).not.toContain('number.disposed');
  });

  it('audits rule edits and follows them: a longer period takes persons off the list', async () => {
    const { vault, admin } = await setUp();
    const actor = { id: admin.id, name: admin.displayName };
    updateRule(vault, actor, 'dependant_declaration', { years: '10', start: 'after_jan10_next_year', source: '社内規程で10年に延長（2035年）' }, null);
    const e = auditEvents(vault).filter((x) => x.action === 'retention.rule_changed');
    expect(e).toHaveLength(1);
    expect(e[0]!.detail).toMatchObject({ rule: 'dependant_declaration', years_before: 7, years: 10, source_changed: true });
    expect(disposalList(vault).batches.flatMap((b) => b.entries.map((x) => x.name))).toEqual(['講師 五郎']);
    // No change, no event; bad input, a field message in Japanese and nothing stored.
    updateRule(vault, actor, 'dependant_declaration', { years: '10', start: 'after_jan10_next_year', source: '社内規程で10年に延長（2035年）' }, null);
    expect(() => updateRule(vault, actor, 'dependant_declaration', { years: '-1', start: 'x', source: '' }, null)).toThrow(
      expect.objectContaining({ fields: { years: expect.stringContaining('0〜30'), start: expect.any(String), source: expect.any(String) } }),
    );
    expect(() => updateRule(vault, actor, 'dependant_declaration', { years: '7', start: 'event_date', source: `番号 ${N.e3}` }, null)).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(auditEvents(vault).filter((x) => x.action === 'retention.rule_changed')).toHaveLength(1);
    updateSchedule(vault, actor, { batchMonth: '12', backupRetentionDays: '30' }, null);
    expect(disposalList(vault).batches.map((b) => b.label)).toEqual(['2032年12月末']);
    expect(auditEvents(vault).at(-1)!.action).toBe('retention.schedule_changed');
  });

  it('destroys nothing when the audit trail cannot be written', async () => {
    const { vault, ids, admin, handler } = await setUp();
    const disposalId = proposeDisposal(vault, handler, { batch: '2034-03-31' }, null);
    const count = vault.auditRepo.count();
    vault.db.exec(`CREATE TEMP TRIGGER audit_broken BEFORE INSERT ON main.audit_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    expect(() => approveDisposal(vault, admin, disposalId, null)).toThrow(expect.objectContaining({ code: 'audit_unavailable' }));
    vault.db.exec('DROP TRIGGER temp.audit_broken');
    expect(vault.auditRepo.count()).toBe(count);
    expect(vault.retention.disposal(disposalId)!.state).toBe('proposed');
    for (const id of [ids.e1, ids.e2, ids.d1]) expect(vault.persons.numberOf(id)!.sealed).not.toBeNull();
  });
});
