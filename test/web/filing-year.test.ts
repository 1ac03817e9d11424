import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { recordIdentityCheck } from '../../src/services/intake.js';
import { recordFinalPayment } from '../../src/services/final-payment.js';
import { addHandover } from '../helpers/filing.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers } from '../reports/pdf-helpers.js';

const NUMBERS = Array.from({ length: 6 }, (_, i) => syntheticNumber(i + 1, 186));
const CORPORATE = '7123456789012';

/** The count shown in a cell of the year view's summary. */
const count = (html: string, id: string) => new RegExp(`id="count-${id}">([0-9,]+) 名<`, 'u').exec(html)?.[1];
/** The names listed in the year view's table. */
const listed = (html: string) => [...html.matchAll(/<td><a href="\/persons\/[0-9]+">([^<]+)<\/a><\/td>/gu)].map((m) => m[1]);

async function setUp() {
  const clock = fixedClock('2026-12-10T01:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const actor = { id: 'cli', name: 'mnvault import' };
  const all = [
    '種別,社員番号,氏名,個人番号,未提供理由,退職日',
    `従業員,A1,年間 一郎,${NUMBERS[0]},,`,
    `従業員,A2,年間 二郎,${NUMBERS[1]},,`,
    `従業員,A3,年間 三郎,${NUMBERS[2]},,2026-06-30`,
    `従業員,A4,年間 四郎,${NUMBERS[3]},,2025-12-31`,
    '従業員,A5,年間 五郎,,本人が提供を断った,',
  ].join('\n');
  expect(importPersons(vault, Buffer.from(all), { purposes: ALL_PURPOSES, actor }).committed).toBe(true);
  // Notified for the 社会保険 filings only: the 源泉徴収票's purpose was never notified.
  expect(importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,B1,年間 六郎,${NUMBERS[4]}\n`), { purposes: ['health_pension_insurance'], actor }).committed).toBe(true);
  expect(importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n支払先,P1,年間 七子,${NUMBERS[5]}\n`), { purposes: ALL_PURPOSES, actor }).committed).toBe(true);
  const app = testApp(vault);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  await admin.get('/persons/new');
  await admin.post('/persons', { kind: 'employee', code: 'A6', name: '年間 未取' });
  await admin.post('/persons', { kind: 'payee', code: 'C1', name: '株式会社年間', kana: 'ネンカン', corporateNumber: CORPORATE });
  const id = (code: string, kind: 'employee' | 'payee' = 'employee') => vault.persons.codes(kind).get(code)!;
  const checker = { id: vault.users.byLogin(ADMIN.login)!.id, name: 'kanri' };
  for (const code of ['A1', 'A3']) recordIdentityCheck(vault, checker, id(code), { method: 'in_person', numberDocument: 'my_number_card', checkedOn: '2026-12-10' }, null);
  // A4 left on 31 December 2025, but the December salary was paid in January 2026: the 2026 slip is due.
  recordFinalPayment(vault, checker, id('A4'), '2026-01-25', null);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  return { vault, clock, app, admin, handler, id, actor: checker };
}

describe('the year view of a filing kind (issue 18 point 5)', () => {
  it('counts who a 源泉徴収票 of the year needs, who has a number notified for it, who not and why, and who was filed; lists them by page, never a number', async () => {
    const s = await setUp();
    addHandover(s.vault, { kind: 'nta_salary_slip', year: 2026, personIds: [s.id('A1')], destination: 'tax_office', channel: 'etax', actor: s.actor });
    // Another year and another kind name A2 and A3: they do not count as filed here.
    addHandover(s.vault, { kind: 'nta_salary_slip', year: 2025, personIds: [s.id('A2')], destination: 'tax_office', channel: 'etax', actor: s.actor });
    addHandover(s.vault, { kind: 'eltax_salary_report', year: 2026, personIds: [s.id('A3')], destination: 'municipality', channel: 'eltax', actor: s.actor, purpose: 'salary_payment_report' });

    // Before a choice: the form, set to last year's 源泉徴収票.
    const blank = await s.handler.get('/filing-records/year');
    expect(blank.status).toBe(200);
    expect(blank.text).toContain('value="2025"');
    expect(blank.text).toContain('<option value="nta_salary_slip" selected>');
    const base = '/filing-records/year?year=2026&kind=nta_salary_slip';
    const page = await s.handler.get(base);
    expect(page.status).toBe(200);
    const html = page.text;
    // A1, A2, A3 (left in 2026), A4 (left in 2025, paid in 2026), A5, A6, B1; not the payees.
    expect(count(html, 'total')).toBe('7');
    expect(count(html, 'ready')).toBe('2');
    expect(count(html, 'not-ready')).toBe('5');
    expect(count(html, 'unchecked')).toBe('2');
    expect(count(html, 'not_provided')).toBe('1');
    expect(count(html, 'missing')).toBe('1');
    expect(count(html, 'not_notified')).toBe('1');
    expect(count(html, 'filed')).toBe('1');
    expect(count(html, 'unfiled')).toBe('6');
    // The default list: not yet filed.
    expect(listed(html)).toEqual(['年間 二郎', '年間 三郎', '年間 四郎', '年間 五郎', '年間 六郎', '年間 未取']);
    // In 2025, A4 was employed; A3 too; A6 and B1 as well (active): the year before counts its own.
    expect(count((await s.handler.get('/filing-records/year?year=2025&kind=nta_salary_slip')).text, 'filed')).toBe('1');
    expect(html).toContain('2026年6月30日（令和8年） 退職・終了');
    expect(html).toContain('本人が提供を断った');
    expect(listed((await s.handler.get(`${base}&list=filed`)).text)).toEqual(['年間 一郎']);
    expect(listed((await s.handler.get(`${base}&list=not_notified`)).text)).toEqual(['年間 六郎']);
    expect(listed((await s.handler.get(`${base}&list=unchecked`)).text)).toEqual(['年間 二郎', '年間 四郎']);
    expect(listed((await s.handler.get(`${base}&list=missing`)).text)).toEqual(['年間 未取']);
    expect(listed((await s.handler.get(`${base}&list=ready`)).text)).toEqual(['年間 一郎', '年間 三郎']);

    // Payees: the individual with a number, the 法人 under its 法人番号.
    const fees = await s.handler.get('/filing-records/year?year=2026&kind=nta_fees&list=unfiled');
    expect(count(fees.text, 'total')).toBe('2');
    expect(count(fees.text, 'corporate')).toBe('1');
    expect(listed(fees.text)).toEqual(['年間 七子', '株式会社年間']);
    expect(fees.text).not.toContain(CORPORATE);

    for (const r of [page, fees]) expectNoNumbers(r.text, NUMBERS);
    const bad = await s.handler.get('/filing-records/year?year=2030&kind=nta_salary_slip');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('年分は2016年から2026年までの西暦4桁で入れてください。');
    const badKind = await s.handler.get('/filing-records/year?year=2026&kind=egov_loss');
    expect(badKind.status).toBe(400);
    expect(badKind.text).toContain('書類の種類を一覧から選んでください');
  }, 60_000);

  it('takes this year as Japan’s on New Year’s morning: the year view and an export request accept it and name the same range', async () => {
    const s = await setUp();
    // 1 January 2027, 01:00 in Japan: still 2026 in UTC.
    s.clock.advance(Date.parse('2026-12-31T16:00:00Z') - s.clock.now().getTime());
    const handler = new Browser(s.app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    expect((await handler.get('/filing-records/year?year=2027&kind=nta_salary_slip')).status).toBe(200);
    await handler.get('/gate/export/new');
    const form = { set: 'employees', purpose: 'withholding_slip', encoding: 'utf8_bom' };
    const late = await handler.post('/gate/export', { ...form, year: '2028' });
    expect(late.status).toBe(400);
    expect(late.text).toContain('年分は2016年から2027年までの西暦4桁で入れてください。');
    const exported = await handler.post('/gate/export', { ...form, year: '2027' });
    expect(exported.status, exported.text).toBe(303);
    expect(s.vault.gate.byId(Number(/\/gate\/(\d+)$/u.exec(exported.headers.location!)![1]))!.note).toBe('2027年分');
  });

  it('pages the lists by id with a link to the next page', async () => {
    const s = await setUp();
    const many = ['種別,社員番号,氏名,個人番号,未提供理由', ...Array.from({ length: 60 }, (_, i) => `従業員,M${i + 1},多数 ${String(i + 1).padStart(2, '0')},,未提出`)].join('\n');
    const imported = importPersons(s.vault, Buffer.from(many), { purposes: ALL_PURPOSES, actor: s.actor });
    expect(imported.committed, JSON.stringify(imported).slice(0, 600)).toBe(true);
    const first = await s.handler.get('/filing-records/year?year=2026&kind=nta_salary_slip&list=not_provided');
    expect(count(first.text, 'not_provided')).toBe('61');
    expect(listed(first.text)).toHaveLength(50);
    const next = /href="(\/filing-records\/year\?[^"]+after=[0-9]+)"/u.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    const second = await s.handler.get(next!);
    expect(listed(second.text)).toHaveLength(11);
    expect(listed(second.text).at(-1)).toBe('多数 60');
    expect(second.text).not.toContain('after=');
  }, 60_000);
});
