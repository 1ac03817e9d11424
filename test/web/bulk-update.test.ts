import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { registerPerson } from '../../src/services/persons.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const SEED = { id: 'seed', name: 'テスト準備' };

async function setUp() {
  const { vault } = await newTestVault();
  await addStaff(vault);
  const emp = (code: string, name: string) => registerPerson(vault, SEED, { kind: 'employee', code, name, kana: '', birthDate: '1980-01-01', relationship: '', corporateNumber: '' }, null, null);
  const ids = [emp('E1', '青木 一郎'), emp('E2', '伊藤 二郎'), emp('E3', '上田 三郎')];
  const b = new Browser(testApp(vault));
  expect((await b.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
  await b.get('/imports');
  return { vault, ids, b };
}

describe('bulk update of existing persons by CSV (matched by 社員番号)', () => {
  it('updates names, kana and 退職日 of existing employees in one audited transaction (Shift_JIS as Excel writes it)', async () => {
    const { vault, ids, b } = await setUp();
    const csv = iconv.encode('社員番号,氏名,フリガナ,退職日\r\nE1,青木 一朗,アオキ イチロウ,\r\nE2,,イトウ ジロウ,2026-03-31\r\n', 'cp932');
    const r = await b.upload('/imports/updates', csv);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ committed: true, encoding: 'Shift_JIS', updated: 2, retired: 1 });
    expect(vault.persons.byId(ids[0]!)).toMatchObject({ name: '青木 一朗', kana: 'アオキ イチロウ', status: 'active' });
    expect(vault.persons.byId(ids[1]!)).toMatchObject({ name: '伊藤 二郎', kana: 'イトウ ジロウ', status: 'retired', retiredOn: '2026-03-31' });
    const actions = vault.db.prepare("SELECT action FROM audit_events WHERE action IN ('person.updated', 'person.retired', 'persons.bulk_updated') ORDER BY seq").pluck().all();
    expect(actions).toEqual(['person.updated', 'person.updated', 'person.retired', 'persons.bulk_updated']);
  });

  it('changes nothing when any row is bad, and lists every bad row', async () => {
    const { vault, ids, b } = await setUp();
    const audit = vault.auditRepo.count();
    const csv = Buffer.from('社員番号,氏名,生年月日\nE1,青木 一朗,\nE9,誰か,\nE3,上田 三郎,生まれた日\n');
    const r = await b.upload('/imports/updates', csv);
    expect(r.status).toBe(422);
    expect(r.body.committed).toBe(false);
    expect(r.body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4]);
    expect(r.body.errors[0].message).toContain('台帳にない社員番号');
    expect(vault.persons.byId(ids[0]!)!.name).toBe('青木 一郎');
    expect(vault.auditRepo.count()).toBe(audit);
  });

  it('refuses a 個人番号 column: numbers change only through intake', async () => {
    const { b } = await setUp();
    const r = await b.upload('/imports/updates', Buffer.from('社員番号,個人番号\nE1,\n'));
    expect(r.status).toBe(422);
    expect(r.body.errors[0].message).toContain('個人番号は本人確認とともに取得画面で登録してください');
  });
});
