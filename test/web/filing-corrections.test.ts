import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { auditEvents } from '../helpers/audit.js';
import { scanDataDir } from '../helpers/canary.js';
import { addHandover } from '../helpers/filing.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';

const NUMBERS = Array.from({ length: 2 }, (_, i) => syntheticNumber(i + 1, 255));
const flat = (t: string) => t.replace(/\s+/gu, '');

async function setUp() {
  const clock = fixedClock('2027-01-25T01:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},訂正 太郎${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const h = vault.users.byLogin(HANDLER.login)!;
  const ids = NUMBERS.map((_, i) => vault.persons.codes('employee').get(`E${i + 1}`)!);
  const id = addHandover(vault, { kind: 'nta_salary_slip', year: 2026, personIds: ids, destination: 'tax_office', channel: 'etax', actor: { id: h.id, name: h.displayName } });
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  return { vault, dataDir, clock, id, app, handler };
}

describe('correcting a submission record (訂正, issue 18)', () => {
  it('keeps the first record, appends the correction with who, when and why, audits it, and shows both on the page and in the 提出記録 PDF', async () => {
    const s = await setUp();
    const url = `/filing-records/${s.id}`;
    await s.handler.get(url);
    // Nothing to correct before a submission is recorded.
    expect((await s.handler.post(`${url}/correction`, { destinationName: '麹町税務署', submittedOn: '2027-01-25', receiptNo: '20270125103000123456', reason: '誤記' })).status).toBe(409);
    expect((await s.handler.post(`${url}/submission`, { destinationName: '麹町税務署', submittedOn: '2027-01-25', receiptNo: '20270125103000123456' })).status).toBe(303);

    const page = (await s.handler.get(url)).text;
    expect(page).toContain(`action="${url}/correction"`);
    // No reason, and the same values: each refused with a message, nothing stored.
    const noReason = await s.handler.post(`${url}/correction`, { destinationName: '神田税務署', submittedOn: '2027-01-25', receiptNo: '20270125103000123456', reason: '' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('訂正の理由（例: 受付番号の写し間違い、提出日の誤り）を入れてください。');
    expect(noReason.text).toContain('value="神田税務署"');
    const same = await s.handler.post(`${url}/correction`, { destinationName: '麹町税務署', submittedOn: '2027-01-25', receiptNo: '20270125103000123456', reason: '念のため' });
    expect(same.status).toBe(400);
    expect(same.text).toContain('訂正する内容がありません。');
    const typed = await s.handler.post(`${url}/correction`, { destinationName: '神田税務署', submittedOn: '2027-01-25', receiptNo: 'A1', reason: `番号 ${NUMBERS[0]!} を誤記` });
    expect(typed.status).toBe(400);
    expect(typed.text).toContain('訂正の理由に個人番号のような12桁の数字は入れられません。');
    expectNoNumbers(typed.text, NUMBERS);
    const future = await s.handler.post(`${url}/correction`, { destinationName: '神田税務署', submittedOn: '2027-01-26', receiptNo: '20270125103000123456', reason: '日付の誤り' });
    expect(future.text).toContain('提出日が未来の日付です。');
    expect(auditEvents(s.vault).filter((e) => e.action === 'filing.submission_corrected')).toHaveLength(0);

    expect(
      (await s.handler.post(`${url}/correction`, { destinationName: '神田税務署', submittedOn: '2027-01-25', receiptNo: '20270125103000654321', reason: '提出先と受付番号の写し間違い' })).status,
    ).toBe(303);
    // The next day, the admin corrects the date.
    s.clock.advance(86_400_000);
    const admin = new Browser(s.app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    await admin.get(url);
    expect((await admin.post(`${url}/correction`, { destinationName: '神田税務署', submittedOn: '2027-01-26', receiptNo: '20270125103000654321', reason: '提出日の取り違え' })).status).toBe(303);

    // The first record is untouched in its row; the corrections are rows of their own.
    expect(s.vault.db.prepare('SELECT destination_name, submitted_on, receipt_no FROM filing_handovers WHERE id = ?').get(s.id)).toEqual({
      destination_name: '麹町税務署',
      submitted_on: '2027-01-25',
      receipt_no: '20270125103000123456',
    });
    expect(s.vault.db.prepare('SELECT count(*) FROM filing_submission_corrections WHERE handover_id = ?').pluck().get(s.id)).toBe(2);

    const shown = (await admin.get(url)).text;
    expect(shown).toContain('2027年1月26日（令和9年） 提出（神田税務署）');
    expect(shown).toContain('訂正あり（2回）');
    const history = /<table class="list submission-history">[\s\S]*?<\/table>/u.exec(shown)![0];
    for (const piece of ['当初の記録', '麹町税務署', '20270125103000123456', '訂正1', '提出先と受付番号の写し間違い', '訂正2（現在の記録）', '提出日の取り違え', '担当 花子', 'kanri'])
      expect(history).toContain(piece);
    expectNoNumbers(shown, NUMBERS);

    const events = auditEvents(s.vault).filter((e) => e.action === 'filing.submission_corrected');
    expect(events).toHaveLength(2);
    expect(events[0]!.detail).toMatchObject({
      handover_id: s.id,
      before_destination_name: '麹町税務署',
      before_receipt_no: '20270125103000123456',
      destination_name: '神田税務署',
      receipt_no: '20270125103000654321',
      reason: '提出先と受付番号の写し間違い',
    });
    expect(events[0]!.subjects).toHaveLength(2);
    expect(events[1]!.detail).toMatchObject({ before_submitted_on: '2027-01-25', submitted_on: '2027-01-26', reason: '提出日の取り違え' });

    const pdf = await admin.getBytes('/reports/filings.pdf?year=2026');
    expect(pdf.status).toBe(200);
    const text = flat(pdfPages(pdf.body as Buffer, 'filings-corrected').pages.join(''));
    const list = text.slice(text.indexOf('2.提出の記録'), text.indexOf('3.提出の記録の訂正'));
    expect(list).toContain('2027/01/26（訂正あり）');
    expect(list).toContain('神田');
    const corrections = text.slice(text.indexOf('3.提出の記録の訂正'), text.indexOf('4.完了していないもの'));
    // Table cells wrap in the PDF's text: pieces short enough to stay on one line.
    for (const piece of ['当初の記録麹町税務2027/01/2520270125103000123456', '訂正1神田税務2027/01/2520270125103000654321提出先と受付番号の', '訂正2神田税務2027/01/26', '提出日の取り違えkanri'])
      expect(corrections).toContain(piece);
    expectNoNumbers(text, NUMBERS);

    const activity = flat(pdfPages((await admin.getBytes('/reports/activity.pdf?month=2027-01')).body as Buffer, 'activity-corrected').pages.join(''));
    expect(activity).toContain('提供・提出｜申告書ファイルの提出の記録の訂正2件');
    expect(activity).toContain('（理由:提出日の取り違え）');
    s.vault.close();
    expect(scanDataDir(s.dataDir, NUMBERS).hits).toEqual([]);
  }, 90_000);
});
