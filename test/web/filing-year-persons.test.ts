import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { recordFilingSubmission } from '../../src/services/filing-records.js';
import { addHandover } from '../helpers/filing.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers } from '../reports/pdf-helpers.js';

const NUMBERS = Array.from({ length: 7 }, (_, i) => syntheticNumber(i + 1, 258));

/** The cells of a row of the per-person table, tags stripped. */
const cells = (html: string, rowId: string) => {
  const row = new RegExp(`<tr class="[a-z]+" id="${rowId}">([\\s\\S]*?)</tr>`, 'u').exec(html)?.[1];
  if (row === undefined) return undefined;
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/gu)].map((m) => m[1]!.replace(/<[^>]+>/gu, '').trim());
};

async function setUp() {
  // The register was filled in April 2025; the year view is read in December 2026.
  const clock = fixedClock('2025-04-01T01:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const actor = { id: 'cli', name: 'mnvault import' };
  const csv = [
    '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号,退職日',
    `従業員,A1,人別 一郎,${NUMBERS[0]},,,`,
    `扶養親族,,人別 花子,${NUMBERS[1]},配偶者,A1,`,
    `従業員,A2,人別 二郎,${NUMBERS[2]},,,`,
    `従業員,A3,人別 三郎,${NUMBERS[3]},,,2026-06-30`,
    `従業員,A5,人別 五郎,${NUMBERS[4]},,,2024-12-31`,
    `支払先,P1,人別 七子,${NUMBERS[5]},,,`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor }).committed).toBe(true);
  clock.advance(Date.parse('2026-12-10T01:00:00Z') - Date.parse('2025-04-01T01:00:00Z'));
  // A4 joined in 2026.
  expect(importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,A4,人別 四郎,${NUMBERS[6]}\n`), { purposes: ALL_PURPOSES, actor }).committed).toBe(true);
  const id = (code: string, kind: 'employee' | 'payee' = 'employee') => vault.persons.codes(kind).get(code)!;
  const spouse = vault.persons.dependantsOf(id('A1'))[0]!.id;
  const h = vault.users.byLogin(HANDLER.login)!;
  const staff = { id: h.id, name: h.displayName };
  addHandover(vault, { kind: 'nta_salary_slip', year: 2026, personIds: [id('A1'), spouse, id('A3')], destination: 'tax_office', channel: 'etax', actor: staff });
  const chiyoda = addHandover(vault, { kind: 'eltax_salary_report', year: 2026, personIds: [id('A1')], destination: 'municipality', channel: 'eltax', actor: staff, purpose: 'salary_payment_report' });
  recordFilingSubmission(vault, staff, chiyoda, { destinationName: '千代田区', submittedOn: '2026-12-10', receiptNo: 'R1' }, null);
  addHandover(vault, { kind: 'eltax_salary_report', year: 2026, personIds: [id('A3')], destination: 'municipality', channel: 'eltax', actor: staff, purpose: 'salary_payment_report' });
  // A 資格取得届 carries no 年分; the 2025 slip of A2 is another year's.
  addHandover(vault, { kind: 'egov_acquisition', year: null, personIds: [id('A4')], destination: 'pension_office', channel: 'egov', actor: staff, purpose: 'health_pension_insurance' });
  addHandover(vault, { kind: 'nta_salary_slip', year: 2025, personIds: [id('A2')], destination: 'tax_office', channel: 'etax', actor: staff });
  addHandover(vault, { kind: 'nta_fees', year: 2026, personIds: [id('P1', 'payee')], destination: 'tax_office', channel: 'etax', actor: staff, purpose: 'payment_record_fees' });
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  return { vault, app, handler, id, spouse };
}

describe('the year view per person (issue 18)', () => {
  it('shows per person of the year the filings that carry them and what is missing, 資格取得・喪失届 for joiners and leavers, dependants under their employee; never a number', async () => {
    const s = await setUp();
    const res = await s.handler.get('/filing-records/year/persons?year=2026');
    expect(res.status).toBe(200);
    const html = res.text;
    // name, code, status, 源泉徴収票, 給与支払報告書, 支払調書, 資格取得届, 資格喪失届, missing
    expect(cells(html, `person-${s.id('A1')}`)).toEqual(['人別 一郎', 'A1', '在職・取引中', '作成済・提出未記録', '千代田区', '—', '—', '—', 'なし']);
    expect(cells(html, `dependant-${s.spouse}`)).toEqual(['└ 人別 花子', '扶養親族（配偶者）', '給与所得の源泉徴収票 に記載']);
    expect(cells(html, `person-${s.id('A2')}`)).toEqual(['人別 二郎', 'A2', '在職・取引中', '未提出', '未提出', '—', '—', '—', '源泉徴収票、給与支払報告書（市区町村）']);
    expect(cells(html, `person-${s.id('A3')}`)).toEqual(['人別 三郎', 'A3', '2026年6月30日（令和8年） 退職・終了', '作成済・提出未記録', '作成済・提出未記録', '—', '—', '未提出', '資格喪失届']);
    expect(cells(html, `person-${s.id('A4')}`)).toEqual(['人別 四郎', 'A4', '在職・取引中', '未提出', '未提出', '—', '作成済・提出未記録', '—', '源泉徴収票、給与支払報告書（市区町村）']);
    expect(cells(html, `person-${s.id('P1', 'payee')}`)).toEqual(['人別 七子', 'P1', '在職・取引中', '—', '—', '作成済・提出未記録', '—', '—', 'なし']);
    // A5 left before 2026: no filing of 2026 is due.
    expect(html).not.toContain('人別 五郎');
    // The dependant's row follows its employee's.
    expect(html.indexOf(`id="dependant-${s.spouse}"`)).toBeGreaterThan(html.indexOf(`id="person-${s.id('A1')}"`));
    expect(html.indexOf(`id="dependant-${s.spouse}"`)).toBeLessThan(html.indexOf(`id="person-${s.id('A2')}"`));
    expectNoNumbers(html, NUMBERS);

    expect((await s.handler.get('/filing-records/year/persons?year=1999')).status).toBe(400);
    expect((await s.handler.get('/filing-records')).text).toContain('href="/filing-records/year/persons?year=2025"');
    const auditor = new Browser(s.app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    expect((await auditor.get('/filing-records/year/persons?year=2026')).status).toBe(403);
  }, 60_000);
});
