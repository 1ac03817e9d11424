import { describe, expect, it } from 'vitest';
import { syntheticCsv } from '../../bench/synthetic.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { registerPerson, retirePerson } from '../../src/services/persons.js';
import { writeTransaction } from '../../src/storage/database.js';
import { openVault, type Vault } from '../../src/services/vault.js';
import { fixedClock } from '../../src/domain/ports.js';
import type { PersonSearch } from '../../src/storage/persons-repo.js';
import { RegisterQuery, type RegisterCursor } from '../../src/storage/register-query.js';
import { newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { recordQueries } from '../helpers/query-log.js';

const ACTOR = { id: 'admin', name: '管理者' };

async function vaultWith(n: number): Promise<Vault> {
  const { vault } = await newTestVault();
  const report = importPersons(vault, Buffer.from(syntheticCsv(n)), { purposes: ALL_PURPOSES, actor: ACTOR });
  expect(report.committed).toBe(true);
  return vault;
}

/** Every id the register shows for a query, walking the pages forward by keyset. */
function walk(vault: Vault, s: Omit<PersonSearch, 'perPage'>, perPage = 7): number[] {
  const ids: number[] = [];
  let after: PersonSearch['after'];
  for (let guard = 0; guard < 1000; guard++) {
    const page = vault.persons.search({ ...s, after, perPage });
    ids.push(...page.rows.map((r) => r.id));
    if (!page.next) return ids;
    after = page.next;
  }
  throw new Error('the pages never ended');
}

/** The same answer the plain way: every person read and filtered in JS, in register order. */
function reference(vault: Vault, keep: (p: { name: string; kana: string | null; code: string | null; kind: string; status: string }) => boolean): number[] {
  const all = vault.db.prepare('SELECT id, name, kana, code, kind, status FROM persons').all() as { id: number; name: string; kana: string | null; code: string | null; kind: string; status: string }[];
  const key = (k: string | null) => Buffer.from(k ?? String.fromCodePoint(0x10ffff));
  return all
    .filter(keep)
    .sort((a, b) => Buffer.compare(key(a.kana), key(b.kana)) || a.id - b.id)
    .map((p) => p.id);
}

describe('the register at scale', () => {
  it('finds two-kanji, one-kanji, hiragana, half-width kana and code-prefix queries, in register order across keyset pages', async () => {
    const vault = await vaultWith(400);
    registerPerson(vault, ACTOR, { kind: 'employee', code: 'X-77', name: '林 一', kana: 'ハヤシ ハジメ', birthDate: '1980-01-01', relationship: '', corporateNumber: '' }, null, null);
    const flat = (s: string) => s.replace(/\s/gu, '');
    expect(walk(vault, { q: '佐藤' })).toEqual(reference(vault, (p) => flat(p.name).includes('佐藤')));
    expect(walk(vault, { q: '藤花' })).toEqual(reference(vault, (p) => flat(p.name).includes('藤花')));
    expect(walk(vault, { q: '林' })).toEqual(reference(vault, (p) => p.name.includes('林')));
    expect(walk(vault, { q: 'さとう' })).toEqual(reference(vault, (p) => (p.kana ?? '').includes('サトウ')));
    expect(walk(vault, { q: 'ｽｽﾞｷ' })).toEqual(reference(vault, (p) => (p.kana ?? '').includes('スズキ')));
    expect(walk(vault, { q: 'E0001' })).toEqual(reference(vault, (p) => (p.code ?? '').startsWith('E0001')));
    expect(walk(vault, { q: 'X-77' })).toHaveLength(1);
    expect(walk(vault, { q: '佐藤', kind: 'payee' })).toEqual(reference(vault, (p) => p.kind === 'payee' && flat(p.name).includes('佐藤')));
    expect(walk(vault, { q: '存在しない名前' })).toEqual([]);
  });

  it('pages the whole register and each filter by keyset, forward, backward and from the end, with maintained counts', async () => {
    const vault = await vaultWith(150);
    const everyone = reference(vault, () => true);
    expect(walk(vault, {}, 11)).toEqual(everyone);
    const last = vault.persons.search({ before: 'end', perPage: 11 });
    expect(last.rows.map((r) => r.id)).toEqual(everyone.slice(-11));
    expect(last.next).toBeUndefined();
    const prev = vault.persons.search({ before: last.prev, perPage: 11 });
    expect(prev.rows.map((r) => r.id)).toEqual(everyone.slice(-22, -11));
    expect(prev.prev && prev.next).toBeTruthy();
    const back = vault.persons.search({ after: prev.next, perPage: 11 });
    expect(back.rows.map((r) => r.id)).toEqual(everyone.slice(-11));
    expect(vault.persons.search({ perPage: 11 }).prev).toBeUndefined();
    expect(vault.persons.search({ perPage: 5 }).total).toBe(everyone.length);
    const payees = reference(vault, (p) => p.kind === 'payee');
    expect(walk(vault, { kind: 'payee' })).toEqual(payees);
    expect(vault.persons.search({ kind: 'payee', perPage: 5 }).total).toBe(payees.length);
  });

  it('keeps the 未取得 and 本人確認未了 filters and the home counts right through register, intake, identity check and retirement', async () => {
    const vault = await vaultWith(30);
    const before = vault.persons.count();
    expect(before).toMatchObject({ persons: 30, held: 30, missing: 0, unchecked: 30 });
    const id = registerPerson(vault, ACTOR, { kind: 'employee', code: 'N1', name: '新人 太郎', kana: 'シンジン タロウ', birthDate: '2000-01-01', relationship: '', corporateNumber: '' }, null, null);
    expect(vault.persons.count()).toMatchObject({ persons: 31, missing: 1 });
    expect(walk(vault, { filter: 'missing' })).toEqual([id]);
    expect(vault.persons.search({ filter: 'unchecked', perPage: 50 }).total).toBe(30);
    const checked = vault.persons.search({ filter: 'unchecked', perPage: 1 }).rows[0]!.id;
    vault.db.prepare("INSERT INTO identity_checks (person_id, method, number_document, identity_documents, checked_on, checker_id, created_at) VALUES (?, 'in_person', 'x', 'y', '2026-04-01', (SELECT id FROM users LIMIT 1), '2026-04-01')").run(checked);
    expect(walk(vault, { filter: 'unchecked' })).not.toContain(checked);
    expect(vault.persons.count().unchecked).toBe(29);
    retirePerson(vault, ACTOR, id, '2026-03-31', null);
    expect(vault.persons.search({ status: 'retired', perPage: 5 }).total).toBe(1);
    expect(vault.persons.search({ status: 'retired', filter: 'missing', perPage: 5 }).total).toBe(1);
    expect(vault.persons.search({ status: 'active', filter: 'missing', perPage: 5 }).total).toBe(0);
    // The counts agree with counting the rows.
    const recount = vault.db.prepare("SELECT count(*) FROM persons WHERE number_state = 'held' AND identity_checked = 0").pluck().get();
    expect(vault.persons.count().unchecked).toBe(recount);
  });

  it('finds a one-character query anywhere in a name, the last character too (子 of 花子, 翔)', async () => {
    const vault = await vaultWith(200);
    const flat = (x: string) => x.replace(/\s/gu, '');
    for (const c of ['子', '翔', '林', 'ト']) {
      expect(walk(vault, { q: c }, 9), c).toEqual(reference(vault, (p) => flat(p.name).includes(c) || flat(p.kana ?? '').includes(c)));
    }
  });

  it('walks a one-character search of a very common character in bounded steps, in order, and says so', async () => {
    const vault = await vaultWith(120);
    const bounded = new RegisterQuery(vault.db, { shortQueryScan: 25, charGrams: 0 });
    const ids: number[] = [];
    let after: RegisterCursor | undefined;
    let sawBound = false;
    for (let guard = 0; guard < 100; guard++) {
      const page = bounded.page({ q: '林', after, perPage: 5 });
      ids.push(...page.ids);
      sawBound ||= page.scanBounded;
      if (!page.next) break;
      after = page.next;
    }
    expect(sawBound).toBe(true);
    expect(ids).toEqual(reference(vault, (p) => p.name.includes('林')));
  });

  it('builds the grams, order indexes and counts once for a large import, the same as row by row, and rolls back whole', async () => {
    const vault = await vaultWith(12_000);
    const indexes = () => (vault.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'persons_register%' ORDER BY name").pluck().all() as string[]);
    expect(indexes()).toHaveLength(8);
    const flat = (x: string) => x.replace(/\s/gu, '');
    expect(walk(vault, { q: '藤花', kind: 'employee' }, 50)).toEqual(reference(vault, (p) => p.kind === 'employee' && flat(p.name).includes('藤花')));
    expect(vault.persons.count().persons).toBe(12_000);
    expect(vault.persons.search({ kind: 'payee', perPage: 1 }).total).toBe(vault.db.prepare("SELECT count(*) FROM persons WHERE kind = 'payee'").pluck().get());
    const grams = vault.db.prepare('SELECT count(*) FROM person_grams').pluck().get();
    // A bulk insert that fails half-way leaves the indexes, the grams and the counts as they were.
    expect(() =>
      writeTransaction(vault.db, () =>
        vault.persons.insertBulk(20_000, () => {
          registerPerson(vault, ACTOR, { kind: 'employee', code: 'B1', name: '途中 失敗', kana: 'トチュウ シッパイ', birthDate: '1990-01-01', relationship: '', corporateNumber: '' }, null, null);
          throw new Error('half-way');
        }),
      ),
    ).toThrow('half-way');
    expect(indexes()).toHaveLength(8);
    expect(vault.db.prepare('SELECT count(*) FROM person_grams').pluck().get()).toBe(grams);
    expect(vault.persons.count().persons).toBe(12_000);
    // …and the next single registration is indexed as usual.
    const id = registerPerson(vault, ACTOR, { kind: 'employee', code: 'B2', name: '後続 一郎', kana: 'コウゾク イチロウ', birthDate: '1990-01-01', relationship: '', corporateNumber: '' }, null, null);
    expect(walk(vault, { q: '後続' })).toEqual([id]);
    expect(vault.persons.count().persons).toBe(12_001);
  });

  it('writes, in a large import, each person\'s notice and 最終支払日 and counts that match a recount from the rows', async () => {
    const { vault } = await newTestVault();
    // Every thirteenth employee a leaver (退職日 2026-03-31), paid a last time a month later.
    const csv = syntheticCsv(12_000, 7, { leavers: true })
      .split('\r\n')
      .map((line, i) => (i === 0 ? `${line},最終支払日` : line === '' ? line : `${line},${line.endsWith(',2026-03-31') ? '2026-04-30' : ''}`))
      .join('\r\n');
    const report = importPersons(vault, Buffer.from(csv), { actor: ACTOR, purposes: ALL_PURPOSES });
    expect(report.errors).toEqual([]);
    expect(report.committed).toBe(true);
    const one = (sql: string) => vault.db.prepare(sql).pluck().get();
    const leavers = one("SELECT count(*) FROM persons WHERE status = 'retired'") as number;
    expect(leavers).toBeGreaterThan(500);
    // One notice per imported person (all have numbers), dated and attributed like a single import's.
    expect(one("SELECT count(*) FROM purpose_notices WHERE via = 'import' AND actor_id = 'admin'")).toBe(12_000);
    expect(one('SELECT count(DISTINCT person_id) FROM purpose_notices')).toBe(12_000);
    expect(one("SELECT count(*) FROM purpose_notices n JOIN persons p ON p.id = n.person_id WHERE n.role = p.kind AND n.purposes = (SELECT purposes FROM person_numbers WHERE person_id = p.id)")).toBe(12_000);
    expect(one("SELECT count(*) FROM person_final_payments f JOIN persons p ON p.id = f.person_id WHERE p.status = 'retired' AND f.paid_on = '2026-04-30' AND f.recorded_by = 'admin'")).toBe(leavers);
    expect(one('SELECT count(*) FROM person_final_payments')).toBe(leavers);
    // Every maintained count (kind × status × number filter, and each "all") equals a recount.
    const counts = new Map(vault.db.prepare('SELECT key, n FROM register_counts WHERE n <> 0').raw().all() as [string, number][]);
    const recount = new Map<string, number>();
    for (const [k, s, ns, ic] of vault.db.prepare('SELECT kind, status, number_state, identity_checked FROM persons').raw().all() as [string, string, string | null, number][]) {
      const filters = ['*', ns === null ? 'missing' : ns === 'held' && ic === 0 ? 'unchecked' : null, ns === null ? null : `n:${ns}`].filter((f) => f !== null);
      for (const kk of [k, '*']) for (const ss of [s, '*']) for (const f of filters) recount.set(`k=${kk};s=${ss};f=${f}`, (recount.get(`k=${kk};s=${ss};f=${f}`) ?? 0) + 1);
    }
    expect(counts).toEqual(recount);
  });

  it('indexes, at the next open, persons kept before the register search existed', async () => {
    const { vault, dataDir } = await newTestVault();
    importPersons(vault, Buffer.from(syntheticCsv(40)), { purposes: ALL_PURPOSES, actor: ACTOR });
    // As a vault from before migration 080 holds them: no search text, no grams.
    vault.db.exec("DELETE FROM person_grams; UPDATE persons SET search_text = ''");
    expect(walk(vault, { q: '佐藤' })).toEqual([]);
    vault.close();
    const again = openVault({ dataDir, clock: fixedClock('2026-04-02T00:00:00Z') });
    try {
      const flat = (x: string) => x.replace(/\s/gu, '');
      expect(walk(again, { q: '佐藤' })).toEqual(reference(again, (p) => flat(p.name).includes('佐藤')));
      expect(walk(again, { q: '子' })).toEqual(reference(again, (p) => flat(p.name).includes('子') || flat(p.kana ?? '').includes('子')));
    } finally {
      again.close();
    }
  });

  it('finds a person by the new name after an edit, and no longer by the old one', async () => {
    const vault = await vaultWith(10);
    const id = registerPerson(vault, ACTOR, { kind: 'employee', code: 'R1', name: '旧姓 花子', kana: 'キュウセイ ハナコ', birthDate: '1990-01-01', relationship: '', corporateNumber: '' }, null, null);
    vault.persons.updatePerson({ id, code: 'R1', name: '新姓 花子', kana: 'シンセイ ハナコ', birthDate: '1990-01-01', relationship: null, corporateNumber: null }, '2026-04-02T00:00:00Z');
    expect(walk(vault, { q: '新姓' })).toEqual([id]);
    expect(walk(vault, { q: '旧姓' })).toEqual([]);
    expect(walk(vault, { q: 'しんせい' })).toEqual([id]);
  });

  it('answers every register query from an index: no full scan of persons, no temporary sort', async () => {
    const vault = await vaultWith(200);
    const seen = recordQueries(vault.db);
    const cursor = vault.persons.search({ perPage: 3 }).next!;
    const kinds = [undefined, 'employee', 'payee'] as const;
    const statuses = [undefined, 'active', 'retired'] as const;
    const filters = [undefined, 'missing', 'unchecked', 'not_provided'] as const;
    for (const kind of kinds) for (const status of statuses) for (const filter of filters) {
      for (const q of [undefined, '佐藤', '林', 'さとう', 'E00', 'E000123']) {
        vault.persons.search({ q, kind, status, filter, perPage: 50 });
        vault.persons.search({ q, kind, status, filter, after: cursor, perPage: 50 });
        vault.persons.search({ q, kind, status, filter, before: cursor, perPage: 50 });
        vault.persons.search({ q, kind, status, filter, before: 'end', perPage: 50 });
      }
    }
    vault.persons.count();
    expect(seen.length).toBeGreaterThan(100);
    for (const { sql, args } of seen) {
      const plan = (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan, `${sql}: ${plan}`).not.toMatch(/TEMP B-TREE/u);
      // A SCAN is allowed only along an index (an ordered walk that stops at LIMIT), never of the table.
      expect(plan, `${sql}: ${plan}`).not.toMatch(/(^|\| )SCAN (p|persons|g|person_grams)( \||$)/u);
      if (/FROM persons p /u.test(sql) && !/instr|code >=|person_grams|p\.id IN/u.test(sql)) {
        expect(plan, `${sql}: ${plan}`).toMatch(/USING (COVERING )?INDEX persons_register/u);
        if (!/number_state/u.test(sql)) {
          if (/p\.kind = \?/u.test(sql)) expect(plan, `${sql}: ${plan}`).toMatch(/kind=\?/u);
          if (/p\.status = \?/u.test(sql)) expect(plan, `${sql}: ${plan}`).toMatch(/status=\?/u);
        }
      }
    }
  });
});

