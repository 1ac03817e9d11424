import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { auditEvents } from '../helpers/audit.js';
import { scanDataDir } from '../helpers/canary.js';
import { addHandover } from '../helpers/filing.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';

const NUMBERS = Array.from({ length: 3 }, (_, i) => syntheticNumber(i + 1, 185));

/** The text between the task list's heading and its end. */
const tasksOf = (html: string) => /<section class="tasks"[\s\S]*?<\/section>/u.exec(html)?.[0] ?? '';

export async function filingSetUp() {
  // 2027-01-20 in Japan: the filing season of 2026.
  const clock = fixedClock('2027-01-20T01:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},提出 太郎${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const h = vault.users.byLogin(HANDLER.login)!;
  const actor = { id: h.id, name: h.displayName };
  const ids = NUMBERS.map((_, i) => vault.persons.codes('employee').get(`E${i + 1}`)!);
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  return { vault, dataDir, clock, actor, ids, app, handler, admin };
}

describe('提供・提出の記録 of a filing handover (issue 18 point 4)', () => {
  it('records the destination, date and receipt number, then the deletion, each once and audited; bad input gets a message per field', async () => {
    const s = await filingSetUp();
    const id = addHandover(s.vault, { kind: 'nta_salary_slip', year: 2026, personIds: s.ids, destination: 'tax_office', channel: 'etax', actor: s.actor });

    const list = await s.handler.get('/filing-records');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/filing-records/${id}`);
    expect(list.text).toContain('給与所得の源泉徴収票');
    expect(list.text).toContain('未提出');
    expect(list.text).toContain('持出し中（ファイル未削除）');

    const page = await s.handler.get(`/filing-records/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('提出 太郎1');
    expect(page.text).toContain('税務署（e-Tax）');
    // A right-to-left override in the name is refused by name of the field.
    const bidi = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町\u202e署務税', submittedOn: '2027-01-20', receiptNo: '20270120103000123456' });
    expect(bidi.status).toBe(400);
    expect(bidi.text).toContain('提出先の名称に使えない文字（文字の向きを変える制御文字）が含まれています。');

    // Every field wrong at once: each gets its own message, nothing is stored.
    const empty = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '', submittedOn: '1月', receiptNo: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('提出先の名称（例: 麹町税務署');
    expect(empty.text).toContain('提出日を 2027-01-31 や 令和9年1月31日 の形で入れてください。');
    expect(empty.text).toContain('受付番号を入れてください');
    const before = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-19', receiptNo: '20270119103000123456' });
    expect(before.text).toContain('提出日がファイルを作った日（番号を入れた日）より前です。');
    const future = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町税務署', submittedOn: '令和9年1月21日', receiptNo: '20270121103000123456' });
    expect(future.text).toContain('提出日が未来の日付です。');
    // A number typed into the receipt field is refused and not echoed back.
    const typed = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: NUMBERS[0]! });
    expect(typed.status).toBe(400);
    expect(typed.text).toContain('受付番号に個人番号のような12桁の数字が含まれています。');
    expectNoNumbers(typed.text, NUMBERS);
    const named = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: `税務署 ${NUMBERS[1]!}`, submittedOn: '2027-01-20', receiptNo: 'X' });
    expect(named.text).toContain('提出先の名称に個人番号のような12桁の数字は入れられません。');
    expectNoNumbers(named.text, NUMBERS);
    expect(auditEvents(s.vault).filter((e) => e.action === 'filing.submitted')).toHaveLength(0);

    const ok = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: ' 麹町税務署 ', submittedOn: '2027-01-20', receiptNo: '20270120103000123456' });
    expect(ok.status).toBe(303);
    const again = await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: '20270120103000123456' });
    expect(again.status).toBe(409);
    const shown = await s.handler.get(`/filing-records/${id}`);
    for (const r of [list, page, shown, await s.handler.get('/filing-records')]) expectNoNumbers(r.text, NUMBERS);
    expect(shown.text).toContain('2027年1月20日（令和9年） 提出（麹町税務署）');
    expect(shown.text).toContain('受付番号 20270120103000123456');
    expect(shown.text).not.toContain('action="/filing-records/' + id + '/submission"');

    expect((await s.handler.post(`/filing-records/${id}/deleted`, {})).status).toBe(400);
    expect((await s.handler.post(`/filing-records/${id}/deleted`, { confirmed: '1' })).status).toBe(303);
    expect((await s.handler.post(`/filing-records/${id}/deleted`, { confirmed: '1' })).status).toBe(409);

    const events = auditEvents(s.vault);
    const submitted = events.filter((e) => e.action === 'filing.submitted');
    expect(submitted).toHaveLength(1);
    expect(submitted[0]!.detail).toMatchObject({
      handover_id: id,
      kind: 'nta_salary_slip',
      year: 2026,
      destination: 'tax_office',
      destination_name: '麹町税務署',
      channel: 'etax',
      submitted_on: '2027-01-20',
      receipt_no: '20270120103000123456',
      persons: 3,
    });
    expect(submitted[0]!.subjects).toHaveLength(3);
    expect(events.filter((e) => e.action === 'filing.file_deleted').map((e) => e.detail)).toEqual([expect.objectContaining({ handover_id: id, persons: 3 })]);
    const row = s.vault.db.prepare('SELECT destination_name, submitted_on, receipt_no, file_deleted_at FROM filing_handovers WHERE id = ?').get(id);
    expect(row).toEqual({ destination_name: '麹町税務署', submitted_on: '2027-01-20', receipt_no: '20270120103000123456', file_deleted_at: '2027-01-20T01:00:00.000Z' });
    s.vault.close();
    expect(scanDataDir(s.dataDir, NUMBERS).hits).toEqual([]);
  }, 60_000);

  it('takes no receipt number for paper or a 委託先, and refuses an auditor', async () => {
    const s = await filingSetUp();
    const paper = addHandover(s.vault, { kind: 'nta_fees', year: 2026, personIds: [s.ids[0]!], destination: 'tax_office', channel: 'mail', actor: s.actor, purpose: 'payment_record_fees' });
    const entrusted = addHandover(s.vault, {
      kind: 'eltax_salary_report',
      year: 2026,
      personIds: s.ids,
      destination: 'tax_accountant',
      channel: 'etax',
      actor: s.actor,
      purpose: 'salary_payment_report',
    });
    await s.handler.get(`/filing-records/${paper}`);
    expect((await s.handler.post(`/filing-records/${paper}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: '' })).status).toBe(303);
    expect((await s.handler.post(`/filing-records/${entrusted}/submission`, { destinationName: '山田税理士事務所', submittedOn: '2027/1/20', receiptNo: '' })).status).toBe(303);
    expect((await s.handler.get(`/filing-records/${entrusted}`)).text).toContain('2027年1月20日（令和9年） 提出（山田税理士事務所）');
    const auditor = new Browser(s.app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    expect((await auditor.get(`/filing-records/${paper}`)).status).toBe(403);
  }, 60_000);
});

describe('open handovers on the home pages (issue 18 point 4)', () => {
  it('lists a handover on the handler and admin home pages until both its submission and its deletion are recorded', async () => {
    const s = await filingSetUp();
    const id = addHandover(s.vault, { kind: 'nta_salary_slip', year: 2026, personIds: s.ids, destination: 'tax_office', channel: 'etax', actor: s.actor });
    const link = `href="/filing-records/${id}"`;
    for (const b of [s.handler, s.admin]) {
      const tasks = tasksOf((await b.get('/')).text);
      expect(tasks).toContain(link);
      expect(tasks).toContain('2026年分 給与所得の源泉徴収票');
      expect(tasks).toContain('未提出・ファイル未削除');
    }
    await s.handler.get(`/filing-records/${id}`);
    await s.handler.post(`/filing-records/${id}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: '20270120103000123456' });
    expect(tasksOf((await s.handler.get('/')).text)).toContain('ファイル未削除');
    expect(tasksOf((await s.admin.get('/')).text)).toContain(link);
    await s.handler.get(`/filing-records/${id}`);
    await s.handler.post(`/filing-records/${id}/deleted`, { confirmed: '1' });
    for (const b of [s.handler, s.admin]) {
      const home = (await b.get('/')).text;
      expect(tasksOf(home)).not.toContain(link);
      expectNoNumbers(home, NUMBERS);
    }
  }, 60_000);
});

describe('the records print (issue 18 point 4)', () => {
  it('prints submissions and open handovers in the 取扱状況記録 and a 提出記録 of the year, listed on /reports, without a number', async () => {
    const s = await filingSetUp();
    const done = addHandover(s.vault, { kind: 'nta_salary_slip', year: 2026, personIds: s.ids, destination: 'tax_office', channel: 'etax', actor: s.actor });
    const open = addHandover(s.vault, {
      kind: 'eltax_salary_report',
      year: 2026,
      personIds: s.ids.slice(0, 2),
      destination: 'municipality',
      channel: 'eltax',
      actor: s.actor,
      purpose: 'salary_payment_report',
    });
    addHandover(s.vault, { kind: 'nta_salary_slip', year: 2025, personIds: s.ids.slice(0, 1), destination: 'tax_office', channel: 'etax', actor: s.actor });
    await s.handler.get(`/filing-records/${done}`);
    await s.handler.post(`/filing-records/${done}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-20', receiptNo: '20270120103000123456' });
    await s.handler.post(`/filing-records/${done}/deleted`, { confirmed: '1' });

    const index = await s.admin.get('/reports');
    expect(index.text).toContain('提出記録（申告書ファイルの提供・提出）');
    expect(index.text).toContain('href="/reports/filings.pdf?year=2026"');

    const flat = (t: string) => t.replace(/\s+/gu, '');
    const activity = await s.admin.getBytes('/reports/activity.pdf?month=2027-01');
    expect(activity.status).toBe(200);
    const a = pdfPages(activity.body as Buffer, 'activity-filings');
    const at = flat(a.pages.join(''));
    for (const piece of ['申告書ファイルの提出の記録', '申告書ファイル#1（給与所得の源泉徴収票）', '麹町税務署', '20270120103000123456', '申告書ファイルの削除確認']) expect(at).toContain(piece);
    const out = at.slice(at.indexOf('7.持出し中の申告書ファイル'));
    expect(out).toContain('給与支払報告書（個人別明細書）');
    expect(out).toContain('未提出');
    expect(out).not.toContain('麹町税務署');
    expectNoNumbers(a.pages.join('\n'), NUMBERS);

    const filings = await s.admin.getBytes('/reports/filings.pdf?year=2026');
    expect(filings.status).toBe(200);
    const f = pdfPages(filings.body as Buffer, 'filings-2026');
    const ft = flat(f.pages.join(''));
    expect(ft).toContain('提出記録（申告書ファイルの提供・提出）');
    expect(ft).toContain('2026年分');
    expect(ft).toContain('申告書ファイルの件数2件');
    expect(ft).toContain('提出の記録がないもの1件');
    for (const piece of [
      '給与所得の源泉徴収票',
      '麹町',
      'e-Tax',
      '3名',
      '2027/01/20',
      '20270120103000123456',
      '確認済',
      '給与支払報告書（個人別明細書）',
      '市区町村',
      'eLTAX',
      '2名',
      '未提出',
      '未確認',
    ])
      expect(ft).toContain(piece);
    expect(ft).not.toContain('2025年分');
    expectNoNumbers(f.pages.join('\n'), NUMBERS);
    expect((await s.admin.get('/reports/filings?year=1999')).status).toBe(400);
    expect(
      auditEvents(s.vault)
        .filter((e) => e.action === 'report.printed')
        .map((e) => e.detail.kind),
    ).toEqual(['activity', 'filings']);
    expect(open).toBeGreaterThan(done);
  }, 90_000);
});
