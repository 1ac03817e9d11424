import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { recordFinalPayment } from '../../src/services/final-payment.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { endDependant, retirePerson } from '../../src/services/persons.js';
import { personRetention, retentionOverview, setHold, updateRule } from '../../src/services/retention.js';
import { refreshRetentionDue, refreshRetentionDueForRead, retentionOverviewFromColumn } from '../../src/services/retention-due.js';
import { addRole, endRole } from '../../src/services/roles.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { recordQueries } from '../helpers/query-log.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

/**
 * persons.retention_end / retention_due (migration 190) against the domain rule: after each kind of
 * change the column holds, for every person, what personRetention computes from scratch, and the home
 * counts read from the maintained counts equal the walk of every person (retentionOverview).
 */
const SYSTEM = { id: 'test', name: 'テスト' };
const N = Array.from({ length: 8 }, (_, i) => syntheticNumber(i + 1, 91));

async function setUp() {
  const clock = fixedClock('2034-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const csv = [
    '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号',
    `従業員,E1,退職 一郎,タイショク イチロウ,1961-02-03,${N[0]},,`,
    `従業員,E2,兼務 二郎,ケンム ジロウ,1962-03-04,${N[1]},,`,
    `従業員,E3,在職 三郎,ザイショク サブロウ,1963-04-05,${N[2]},,`,
    `扶養親族,,在職 花子,ザイショク ハナコ,1964-05-06,${N[3]},配偶者,E3`,
    `従業員,E5,支払 五郎,シハライ ゴロウ,1965-06-07,${N[4]},,`,
    `扶養親族,,支払 桜,シハライ サクラ,1995-07-08,${N[5]},子,E5`,
    `支払先,P7,取引 七子,トリヒキ ナナコ,1970-05-01,${N[6]},,`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { actor: SYSTEM, purposes: ALL_PURPOSES }).committed).toBe(true);
  const id = (code: string) => vault.db.prepare('SELECT id FROM persons WHERE code = ?').pluck().get(code) as number;
  const byName = (name: string) => vault.db.prepare('SELECT id FROM persons WHERE name = ?').pluck().get(name) as number;
  return { vault, clock, ids: { e1: id('E1'), e2: id('E2'), e3: id('E3'), hanako: byName('在職 花子'), e5: id('E5'), sakura: byName('支払 桜'), p7: id('P7') } };
}

/** The column as stored, for every person. */
function column(vault: Vault): Map<number, { end: string | null; due: number }> {
  const rows = vault.db.prepare('SELECT id, retention_end, retention_due FROM persons ORDER BY id').raw().all() as [number, string | null, number][];
  return new Map(rows.map((r) => [r[0], { end: r[1], due: r[2] }]));
}

/** The domain rule from scratch: the end while a number is held and every role has ended, and whether today is past it. */
function domain(vault: Vault, today: string): Map<number, { end: string | null; due: number }> {
  const ids = vault.db.prepare('SELECT id FROM persons ORDER BY id').pluck().all() as number[];
  return new Map(
    ids.map((id) => {
      const held = vault.db.prepare("SELECT 1 FROM person_numbers WHERE person_id = ? AND state = 'held'").get(id) !== undefined;
      const end = held ? (personRetention(vault, id).result?.end ?? null) : null;
      return [id, { end, due: end !== null && end < today ? 1 : 0 }];
    }),
  );
}

function agrees(vault: Vault, today: string): void {
  refreshRetentionDueForRead(vault);
  expect(column(vault)).toEqual(domain(vault, today));
  expect(retentionOverviewFromColumn(vault)).toEqual(retentionOverview(vault));
  expect(vault.db.prepare('SELECT count(*) FROM retention_dirty').pluck().get()).toBe(0);
}

describe('the maintained retention end (保存期間経過)', () => {
  it('equals the domain rule after a 退職, a 退職日 change, a 最終支払日, a role ending, a supporter leaving, a 異動, a rule change, a disposal and a new day', async () => {
    const { vault, clock, ids } = await setUp();
    const today = () => clock.now().toISOString().slice(0, 10);
    agrees(vault, today());
    expect(retentionOverviewFromColumn(vault)).toEqual({ ended: 0, due: 0, held: 0 });

    // 退職 in March 2026: the latest rule (扶養控除等申告書, 7 years from 2027-01-11) ends 2034-01-10; due on 2034-04-01.
    retirePerson(vault, SYSTEM, ids.e1, '2026-03-31', null);
    agrees(vault, today());
    expect(column(vault).get(ids.e1)).toEqual({ end: '2034-01-10', due: 1 });
    // The 退職日 corrected to a later date: the end moves with it, and the person is no longer due.
    retirePerson(vault, SYSTEM, ids.e1, '2027-06-30', null);
    agrees(vault, today());
    expect(column(vault).get(ids.e1)?.due).toBe(0);
    // A December leaver's 最終支払日 in January counts from the later date.
    retirePerson(vault, SYSTEM, ids.e5, '2026-12-31', null);
    agrees(vault, today());
    recordFinalPayment(vault, SYSTEM, ids.e5, '2027-01-25', null);
    agrees(vault, today());
    // E5's dependant's 事務 ended with the supporter's 退職 (and counts from the supporter's 最終支払日).
    expect(column(vault).get(ids.sakura)?.end).not.toBeNull();

    // E2 leaves but is still a payee: no end while that role goes on; the role ending starts the clock.
    addRole(vault, SYSTEM, ids.e2, { role: 'payee', code: 'P2' }, null);
    retirePerson(vault, SYSTEM, ids.e2, '2020-03-31', null);
    agrees(vault, today());
    expect(column(vault).get(ids.e2)?.end).toBeNull();
    endRole(vault, SYSTEM, ids.e2, vault.roles.forPerson(ids.e2)[0]!.id, '2021-12-31', null);
    agrees(vault, today());
    expect(column(vault).get(ids.e2)?.end).not.toBeNull();

    // A dependant's 異動, and a payee's 取引終了.
    endDependant(vault, SYSTEM, ids.hanako, '2022-03-31', null);
    retirePerson(vault, SYSTEM, ids.p7, '2024-06-30', null);
    agrees(vault, today());

    // A rule change moves every end (the employee rule from 7 years to 3).
    const rule = vault.retention.rules().find((r) => r.appliesTo.includes('employee') && r.years === 7)!;
    updateRule(vault, SYSTEM, rule.code, { years: '3', start: rule.start, source: rule.source }, null);
    agrees(vault, today());

    // A disposal destroys the number: the person has no end any more.
    const due = [...column(vault)].filter(([, v]) => v.due === 1).map(([id]) => id);
    expect(due.length).toBeGreaterThan(0);
    const admin = vault.users.byLogin(ADMIN.login)!;
    approveDisposal(vault, admin, proposeDisposal(vault, admin, { personIds: [String(due[0])] }, null), null);
    agrees(vault, today());
    expect(column(vault).get(due[0]!)).toEqual({ end: null, due: 0 });

    // A hold on a due person is counted apart (the home page's 保留中).
    setHold(vault, { id: admin.id, name: '管理者' }, due[1]!, '係争中', null);
    agrees(vault, today());
    expect(retentionOverviewFromColumn(vault).held).toBe(1);

    // A new day: persons whose end it passed become due without any write.
    retirePerson(vault, SYSTEM, ids.e3, '2034-03-31', null);
    agrees(vault, today());
    expect(column(vault).get(ids.e3)?.due).toBe(0);
    const before = retentionOverviewFromColumn(vault).due;
    clock.advance(10 * 365 * 86_400_000);
    agrees(vault, today());
    expect(retentionOverviewFromColumn(vault).due).toBe(before + 1);
    expect(column(vault).get(ids.e3)?.due).toBe(1);
  });

  it('lists the 保存期間経過 persons through the register page (GET /persons?filter=retention_due)', async () => {
    const { vault, ids } = await setUp();
    retirePerson(vault, SYSTEM, ids.e1, '2020-03-31', null);
    retirePerson(vault, SYSTEM, ids.e3, '2033-01-31', null);
    const b = new Browser(testApp(vault));
    await b.signIn(HANDLER.login, HANDLER.password);
    expect((await b.get('/persons')).text).toContain('<option value="retention_due"');
    const page = await b.get('/persons?filter=retention_due');
    expect(page.status).toBe(200);
    expect(page.text).toContain('退職 一郎');
    expect(page.text).not.toContain('在職 三郎');
    expect(page.text).not.toContain('取引 七子');
  });

  it('serves the 保存期間経過 filter in register order with its count, and each of its queries from an index', async () => {
    const { vault, ids } = await setUp();
    retirePerson(vault, SYSTEM, ids.e1, '2020-03-31', null);
    retirePerson(vault, SYSTEM, ids.p7, '2020-06-30', null);
    retirePerson(vault, SYSTEM, ids.e3, '2033-01-31', null);
    refreshRetentionDue(vault);
    const seen = recordQueries(vault.db);
    const page = vault.persons.search({ filter: 'retention_due', perPage: 50 });
    // In register order (kana): タイショク before トリヒキ; E3 (ended 2033) is not yet due.
    expect(page.rows.map((r) => r.id)).toEqual([ids.e1, ids.p7]);
    expect(page.total).toBe(2);
    expect(vault.persons.search({ filter: 'retention_due', kind: 'payee', perPage: 50 }).rows.map((r) => r.id)).toEqual([ids.p7]);
    expect(vault.persons.search({ filter: 'retention_due', kind: 'payee', perPage: 50 }).total).toBe(1);
    const cursor = page.next ?? { key: 'タ', id: 1 };
    for (const kind of [undefined, 'employee', 'payee'] as const) for (const status of [undefined, 'active', 'retired'] as const) {
      vault.persons.search({ filter: 'retention_due', kind, status, perPage: 50 });
      vault.persons.search({ filter: 'retention_due', kind, status, after: cursor, perPage: 50 });
      vault.persons.search({ filter: 'retention_due', kind, status, before: cursor, perPage: 50 });
      vault.persons.search({ filter: 'retention_due', kind, status, before: 'end', perPage: 50 });
    }
    retentionOverviewFromColumn(vault);
    const checked = seen.filter(({ sql }) => /retention_due|retention_counts/u.test(sql));
    expect(checked.length).toBeGreaterThan(40);
    for (const { sql, args } of checked) {
      const plan = (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan, `${sql}: ${plan}`).not.toMatch(/TEMP B-TREE/u);
      expect(plan, `${sql}: ${plan}`).not.toMatch(/(^|\| )SCAN (p|persons|h|legal_holds)( \||$)/u);
      if (/ORDER BY p\.register_key/u.test(sql)) expect(plan, `${sql}: ${plan}`).toMatch(/USING (COVERING )?INDEX persons_register_retention_due/u);
    }
  });
});
