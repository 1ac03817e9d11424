import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { createBackup } from '../../src/services/backup.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 6 }, (_, i) => syntheticNumber(i + 1, 83));
const CLI = { id: 'cli', name: 'mnvault import' };

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const csv = [
    '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号',
    `従業員,E1,年末 退職,${NUMBERS[0]},,`,
    `従業員,E2,以前 退職,${NUMBERS[1]},,`,
    `扶養親族,,以前 配偶者,${NUMBERS[2]},配偶者,E2`,
    `従業員,E3,在職 三郎,${NUMBERS[3]},,`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: CLI }).committed).toBe(true);
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  return { vault, dataDir, clock, app, handler, admin };
}

const flat = (s: string) => s.replace(/\s+/gu, '');

describe('retention counts from the later of 退職日 and 最終支払日 (issue 11 point 6)', () => {
  it('warns on a December leaver until 最終支払日 is recorded, then counts from it: the number leaves the disposal list', async () => {
    const { vault, handler, admin } = await setUp();
    await handler.get('/persons/1');
    expect((await handler.post('/persons/1/retire', { date: '2018-12-31', confirm: '1' })).status).toBe(303);

    let page = await handler.get('/persons/1');
    expect(page.text).toContain('final-payment-missing');
    // From 2018-12-31: 扶養控除等申告書 from 2019-01-11 for 7 years, so due by 2026-04-01.
    expect(page.text).toContain('2026年1月10日');
    let list = await admin.get('/disposal');
    expect(list.text).toContain('年末 退職');
    expect(list.text).toContain('final-payment-missing');

    const wrong = await handler.post('/persons/1/final-payment', { date: '2018-11-30' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('最終支払日が退職日');
    const res = await handler.post('/persons/1/final-payment', { date: '平成31年 1月25日' });
    expect(res.status).toBe(303);
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'person.final_payment_recorded', subjects: [{ id: 1 }], detail: { paid_on: '2019-01-25' } });

    page = await handler.get('/persons/1');
    expect(page.text).not.toContain('final-payment-missing');
    expect(page.text).toContain('最終支払日（2019年1月25日（平成31年））から');
    expect(page.text).toContain('2027年1月10日');
    list = await admin.get('/disposal');
    expect(list.text).not.toContain('年末 退職');
  });

  it('refuses a final payment for a person still employed', async () => {
    const { handler } = await setUp();
    await handler.get('/persons/3');
    const res = await handler.post('/persons/3/final-payment', { date: '2026-01-25' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('退職を記録した後');
  });
});

describe('管理台帳 (issue 11 point 7), printed to PDF through the web', () => {
  it('prints the real backup state, the file 責任者 and 取扱部署, manual rows, and past-retention counts by the disposal rules (dependants of leavers included)', async () => {
    const { vault, dataDir, handler, admin } = await setUp();
    // E2 left in 2016: he and his spouse (the supporter's 退職 ends her 事務 too) are past retention.
    await handler.get('/persons/2');
    expect((await handler.post('/persons/2/retire', { date: '2016-03-31', confirm: '1' })).status).toBe(303);

    await admin.get('/admin/ledger');
    const owner = await admin.post('/admin/ledger/owner', { manager: '人事部長 山田一郎', department: '総務部人事課' });
    expect(owner.status).toBe(200);
    const numberInRow = await admin.post('/admin/ledger/files', { name: '扶養控除等申告書（紙）', content: `番号 ${NUMBERS[4]!.slice(0, 6)} ${NUMBERS[4]!.slice(6)}`, location: '人事課の施錠キャビネット', manager: '', note: '' });
    expect(numberInRow.status).toBe(400);
    expect(numberInRow.text).not.toContain(NUMBERS[4]!.slice(0, 6));
    const added = await admin.post('/admin/ledger/files', { name: '扶養控除等申告書（紙）', content: '従業員が提出した申告書の原本', location: '人事課の施錠キャビネット', manager: '人事課長', note: '7年保存' });
    expect(added.status).toBe(303);
    await admin.post('/admin/ledger/files', { name: '給与計算ソフト', content: '源泉徴収票の作成データ', location: '委託先 ○○税理士事務所', manager: '', note: '' });
    expect(auditEvents(vault).filter((e) => e.action === 'ledger.file_added')).toHaveLength(2);

    const folder = tempDir('mnvault-ledger-backup-');
    vault.meta.set('backup_dir', folder);
    await createBackup(vault, { folder, actor: { id: 'cli', name: 'mnvault backup' }, client: null, trigger: 'cli' });

    const pdf = await admin.getBytes('/reports/register.pdf');
    expect(pdf.status).toBe(200);
    const doc = pdfPages(pdf.body, 'register-law');
    // The PDF wraps table cells: short pieces there, whole phrases in the print view of the same model.
    const text = flat(doc.pages.join(''));
    for (const piece of ['人事部長', '総務部人事課', '人事課の施錠キャビネット', '給与計算ソフト（装置外）', '（成功）', '最終実行2026/04/01', '扶養親族扶養中登録済1名']) expect(text).toContain(piece);
    expect(text).toContain('うち、保存期間の規則により保存期間を2名');
    expect(text).not.toMatch(/責任者:未設定|取扱部署:未設定|バックアップ先のフォルダーが設定されていません/u);
    expect(text).not.toContain('目安の保存期間');
    const html = flat((await admin.get('/reports/register')).text.replace(/<[^>]+>/gu, '|')).replace(/\|+/gu, '|');
    expect(html).toContain('責任者:人事部長山田一郎／取扱部署:総務部人事課');
    expect(html).toContain('関係が終了し、番号を保管中の人物（退職者の扶養親族を含む）|2名');
    expect(html).toContain('うち、保存期間の規則により保存期間を過ぎた人物（廃棄予定一覧と同じ判定）|2名');
    expect(html).toContain(`${flat(folder)}（データベースと同じ鍵で暗号化）。自動実行なし（手動）・最新7件を保管。保管中の複製1件。最終実行2026/04/01 09:00（成功）`.replace(/\s+/gu, ''));
    expect(html).toContain('扶養控除等申告書(紙)（装置外）|従業員が提出した申告書の原本（7年保存）|—|人事課の施錠キャビネット|人事課長');
    expect(html).toContain('給与計算ソフト（装置外）|源泉徴収票の作成データ|—|委託先○○税理士事務所|責任者:人事部長山田一郎');
    expectNoNumbers(doc.pages.join('\n'), NUMBERS);
    void dataDir;
  }, 60_000);

  it('follows a changed retention rule, as the disposal list does (no fixed 7-year estimate)', async () => {
    const { handler, admin } = await setUp();
    await handler.get('/persons/2');
    expect((await handler.post('/persons/2/retire', { date: '2016-03-31', confirm: '1' })).status).toBe(303);
    // Longer keeping periods for every rule: nobody is past retention any more.
    for (const code of ['dependant_declaration', 'employment_insurance', 'health_pension_insurance', 'payment_record']) {
      await admin.get('/admin/retention');
      const res = await admin.post(`/admin/retention/rules/${code}`, { years: '15', start: 'after_jan10_next_year', source: '会社の規程（長めに保存）' });
      expect(res.status).toBeLessThan(400);
    }
    const html = flat((await admin.get('/reports/register')).text.replace(/<[^>]+>/gu, ''));
    expect(html).toContain('保存期間を過ぎた人物（廃棄予定一覧と同じ判定）0名');
    expect(html).toContain('関係が終了し、番号を保管中の人物（退職者の扶養親族を含む）2名');
    expect((await admin.get('/disposal')).text).not.toContain('以前 退職');
  });
});
