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

/** The JSON answer of /imports/updates, as far as these tests read it. */
type Report = { committed: boolean; errors: { line: number; message: string }[] };

describe('bulk update of dependants by CSV (扶養元社員番号 + 今の氏名)', () => {
  it("renames and corrects an employee's dependant in the same file as employee rows, audited, all or nothing", async () => {
    const { vault, ids, b } = await setUp();
    const dep = (name: string, supporter: number) => registerPerson(vault, SEED, { kind: 'dependant', code: '', name, kana: '', birthDate: '2012-01-01', relationship: '子', corporateNumber: '' }, supporter, null);
    const wife = dep('伊藤 花子', ids[1]!);
    const child = dep('伊藤 太郎', ids[1]!);
    // A row naming no dependant of that employee rolls everything back and says what to do.
    const wrong = await b.upload('/imports/updates', Buffer.from('社員番号,扶養元社員番号,氏名,新しい氏名,続柄\nE1,,青木 一朗,,\n,E2,伊藤 次郎,伊藤 二朗,\n'));
    expect(wrong.status).toBe(422);
    const errors = (wrong.body as Report).errors;
    expect(errors.map((e) => e.line)).toEqual([3]);
    expect(errors[0]!.message).toContain('扶養親族に「伊藤 次郎」が見つかりません');
    expect(vault.persons.byId(ids[0]!)!.name).toBe('青木 一郎');
    // 全角スペース in the key matches the registered half-width one.
    const csv = Buffer.from('社員番号,扶養元社員番号,氏名,新しい氏名,生年月日,続柄\nE1,,青木 一朗,,,\n,E2,伊藤　花子,山田 花子,1985-06-01,配偶者\n,E2,伊藤 太郎,,2012-01-02,\n');
    const r = await b.upload('/imports/updates', csv);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ committed: true, updated: 3 });
    expect(vault.persons.byId(wife)).toMatchObject({ name: '山田 花子', birthDate: '1985-06-01', relationship: '配偶者', supporterId: ids[1] });
    expect(vault.persons.byId(child)).toMatchObject({ name: '伊藤 太郎', birthDate: '2012-01-02' });
    const subjects = vault.db.prepare("SELECT subjects FROM audit_events WHERE action = 'person.updated' ORDER BY seq").pluck().all() as string[];
    expect(subjects.map((s) => (JSON.parse(s) as { id: number }[])[0]!.id)).toEqual([ids[0], wife, child]);
  });

  it('refuses a 社員番号 or 退職日 on a dependant row, with what to do instead', async () => {
    const { vault, ids, b } = await setUp();
    registerPerson(vault, SEED, { kind: 'dependant', code: '', name: '上田 花', kana: '', birthDate: '2012-01-01', relationship: '子', corporateNumber: '' }, ids[2]!, null);
    const r = await b.upload('/imports/updates', Buffer.from('社員番号,扶養元社員番号,氏名,退職日\nE3,E3,上田 花,\n,E3,上田 花,2026-03-31\n'));
    expect(r.status).toBe(422);
    expect((r.body as Report).errors.map((e) => e.message)).toEqual([
      expect.stringContaining('扶養親族の行では社員番号を空にしてください'),
      expect.stringContaining('人物の画面の「異動」で記録してください'),
    ]);
  });
});
