import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';

const TODAY = '2026-04-01';
const n = (i: number) => syntheticNumber(i, 91);

async function setUp(start = `${TODAY}T00:00:00Z`) {
  const clock = fixedClock(start);
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  return { vault, clock, handler: await handlerBrowser(vault) };
}

/** A signed-in handler (a new one after the clock has moved past the session's life). */
async function handlerBrowser(vault: Vault): Promise<Browser> {
  const handler = new Browser(testApp(vault));
  expect((await handler.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
  await handler.get('/');
  return handler;
}

function actions(vault: Vault, action: string): { subjects: string; detail: string; purpose: string | null }[] {
  return vault.db.prepare('SELECT subjects, detail, purpose FROM audit_events WHERE action = ? ORDER BY seq').all(action) as { subjects: string; detail: string; purpose: string | null }[];
}

const personId = (location: string | undefined) => Number(/^\/persons\/(\d+)$/u.exec(location ?? '')![1]);

async function registerPayee(b: Browser, code: string, corporateNumber = ''): Promise<number> {
  await b.get('/persons/new');
  const r = await b.post('/persons', { kind: 'payee', code, name: `取引 ${code}`, kana: 'トリヒキ', corporateNumber });
  expect(r.status, r.text).toBe(303);
  return personId(r.headers.location);
}

describe('1. a corporation (法人番号) never gets a My Number', () => {
  it('refuses a self-intake code for a payee with a 法人番号, and the code page of an earlier code', async () => {
    const { vault, handler } = await setUp();
    const corp = await registerPayee(handler, 'C1', '7123456789012');
    await handler.get(`/persons/${corp}`);
    const r = await handler.post(`/persons/${corp}/intake-codes`, {});
    expect(r.status).toBe(400);
    expect(r.text).toContain('法人');
    expect(actions(vault, 'intake_code.issued')).toHaveLength(0);
  });

  it('refuses a code issued before a 法人番号 was added: the person page never takes the number', async () => {
    const { vault, handler } = await setUp();
    const payee = await registerPayee(handler, 'C2');
    await handler.get(`/persons/${payee}`);
    const slip = await handler.post(`/persons/${payee}/intake-codes`, { codePurposes: '1', [`purposes_${payee}`]: ['payment_record_fees'] });
    expect(slip.status).toBe(200);
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/u.exec(slip.text)![0];
    await handler.get(`/persons/${payee}/edit`);
    expect((await handler.post(`/persons/${payee}`, { code: 'C2', name: '取引 C2', kana: 'トリヒキ', corporateNumber: '7123456789012' })).status).toBe(303);
    const person = new Browser(testApp(vault));
    const page = await person.get(`/intake?code=${code}`);
    expect(page.status).toBe(400);
    const post = await person.post('/intake', { code, own: n(1), acknowledged: 'yes' });
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(vault.persons.numberOf(payee)).toBeUndefined();
  });

  it('refuses to add a 法人番号 to a person whose number is held', async () => {
    const { vault, handler } = await setUp();
    const payee = await registerPayee(handler, 'C3');
    await handler.get(`/persons/${payee}/intake`);
    const taken = await handler.post(`/persons/${payee}/intake`, { purposes: ['payment_record_fees'], number: n(2), method: 'in_person', numberDocument: 'my_number_card', checkedOn: TODAY });
    expect(taken.status, taken.text).toBe(303);
    await handler.get(`/persons/${payee}/edit`);
    const r = await handler.post(`/persons/${payee}`, { code: 'C3', name: '取引 C3', kana: 'トリヒキ', corporateNumber: '7123456789012' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('法人番号は追加できません');
    expect(vault.persons.byId(payee)!.corporateNumber).toBeNull();
  });

  it('refuses a CSV row that gives a 法人番号 and a refusal reason (no number record for a corporation)', async () => {
    const { vault } = await setUp();
    const csv = ['種別,社員番号,氏名,法人番号,個人番号,未提供理由', '支払先,C4,株式会社サンプル,7123456789012,,提供を拒否'].join('\n');
    const report = importPersons(vault, Buffer.from(csv), { actor: { id: 'cli', name: 'mnvault import' } });
    expect(report.committed).toBe(false);
    expect(report.errors[0]!.message).toContain('法人');
  });
});


async function registerEmployee(b: Browser, code: string, name = `社員 ${code}`): Promise<number> {
  await b.get('/persons/new');
  const r = await b.post('/persons', { kind: 'employee', code, name, kana: 'シャイン' });
  expect(r.status, r.text).toBe(303);
  return personId(r.headers.location);
}

async function registerDependant(vault: Vault, b: Browser, supporter: number, name: string, relationship = '配偶者'): Promise<number> {
  await b.get(`/persons/${supporter}/dependants/new`);
  const r = await b.post(`/persons/${supporter}/dependants`, { name, kana: 'カゾク', relationship, birthDate: '1990-01-01' });
  expect(r.status, r.text).toBe(303);
  return vault.persons.dependantsOf(supporter).find((d) => d.name === name)!.id;
}

/** Handler intake with the purposes shown on the paper notice, and an in-person マイナンバーカード check. */
async function takeNumber(b: Browser, id: number, number: string, purposes: string[]): Promise<void> {
  await b.get(`/persons/${id}/intake`);
  const r = await b.post(`/persons/${id}/intake`, { purposes, number, method: 'in_person', numberDocument: 'my_number_card', checkedOn: TODAY });
  expect(r.status, r.text).toBe(303);
}

async function askReveal(b: Browser, id: number, purpose: string) {
  await b.get(`/persons/${id}`);
  return b.post('/gate/reveal', { personId: String(id), purpose, note: '' });
}

async function adminBrowser(vault: Vault): Promise<Browser> {
  const a = new Browser(testApp(vault));
  expect((await a.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
  await a.get('/');
  return a;
}

async function noticePdf(vault: Vault, id: number, query: string, name: string): Promise<string> {
  const a = await adminBrowser(vault);
  const r = await a.getBytes(`/persons/${id}/notice.pdf${query}`);
  expect(r.status).toBe(200);
  return pdfPages(r.body, name).pages.join('\n').replace(/\s+/gu, '');
}

describe('2. a number is used only for the purposes notified to that person', () => {
  it('refuses a reveal for a purpose the person was not notified of', async () => {
    const { handler } = await setUp();
    const e = await registerEmployee(handler, 'E1');
    await takeNumber(handler, e, n(3), ['withholding_slip', 'salary_payment_report']);
    const refused = await askReveal(handler, e, 'health_pension_insurance');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('通知されていません');
    expect((await askReveal(handler, e, 'withholding_slip')).status).toBe(303);
  });

  it('builds an export only from persons notified of its purpose and lists who was left out and why', async () => {
    const { vault, handler } = await setUp();
    const a = await registerEmployee(handler, 'E1', '通知 済子');
    const b = await registerEmployee(handler, 'E2', '未通 知男');
    await takeNumber(handler, a, n(4), ['health_pension_insurance']);
    await takeNumber(handler, b, n(5), ['withholding_slip']);
    await handler.get('/gate/export/new');
    const r = await handler.post('/gate/export', { set: 'employees', purpose: 'health_pension_insurance', encoding: 'utf8_bom' });
    expect(r.status, r.text).toBe(303);
    const requestId = Number(/\/gate\/(\d+)$/u.exec(r.headers.location!)![1]);
    expect(vault.gate.byId(requestId)!.personIds).toEqual([a]);
    const page = await handler.get(`/gate/${requestId}`);
    expect(page.text).toContain('出力から除いた人物');
    expect(page.text).toContain('未通 知男');
    expect(page.text).toContain('通知されていません');
  });

  it('records a 利用目的の追加通知, prints the new notice with its 通知日, and then allows the use', async () => {
    const { vault, clock, handler: first } = await setUp();
    const e = await registerEmployee(first, 'E1', '追加 通子');
    await takeNumber(first, e, n(6), ['withholding_slip']);
    expect((await askReveal(first, e, 'employment_insurance')).status).toBe(403);
    clock.advance(20 * 86_400_000);
    const handler = await handlerBrowser(vault);
    await handler.get(`/persons/${e}`);
    const added = await handler.post(`/persons/${e}/purposes`, { purposes: ['employment_insurance'], notifiedOn: '2026-04-20' });
    expect(added.status, added.text).toBe(303);
    const noticeId = Number(/notice=(\d+)/u.exec(added.headers.location!)![1]);
    const ev = actions(vault, 'purpose.notified');
    expect(ev).toHaveLength(1);
    expect(JSON.parse(ev[0]!.detail)).toMatchObject({ purposes: 'employment_insurance', notified_on: '2026-04-20' });
    const allowed = await askReveal(handler, e, 'employment_insurance');
    expect(allowed.status, allowed.text.replace(/[\s\S]*<main[^>]*>/u, '').slice(0, 1200).replace(/<[^>]+>/gu, "")).toBe(303);
    const text = await noticePdf(vault, e, `?notice=${noticeId}`, 'law-use-additional-notice');
    expect(text).toContain('利用目的通知書');
    expect(text).toContain('追加する個人番号の利用目的');
    expect(text).toContain('雇用保険届出事務');
    expect(text).toContain('既に通知した利用目的（源泉徴収票作成事務）');
    expect(text).toContain('2026年4月20日');
    expect(text).not.toContain('健康保険・厚生年金保険届出事務');
    expectNoNumbers(text, [n(6)]);
  });

  it('after 退職 offers only the final-year filings, and later uses need an admin co-approval with a note, once', async () => {
    const { vault, clock, handler: first } = await setUp();
    const e = await registerEmployee(first, 'E1', '退職 予定');
    await takeNumber(first, e, n(7), ['withholding_slip', 'employment_insurance_benefits']);
    await first.get(`/persons/${e}`);
    expect((await first.post(`/persons/${e}/retire`, { date: '2026-04-15' })).status).toBe(303);
    clock.advance(30 * 86_400_000);
    let handler = await handlerBrowser(vault);
    const benefits = await askReveal(handler, e, 'employment_insurance_benefits');
    expect(benefits.status).toBe(403);
    expect(benefits.text.replace(/[\s\S]*<main[^>]*>/u, '').slice(0, 800)).toContain('管理者の承認が必要');
    expect((await askReveal(handler, e, 'withholding_slip')).status).toBe(303);
    // After 1月31日 of the next year the final-year filings are done too.
    clock.advance(Date.parse('2027-02-05T00:00:00Z') - clock.now().getTime());
    handler = await handlerBrowser(vault);
    expect((await askReveal(handler, e, 'withholding_slip')).status).toBe(403);
    const admin = await adminBrowser(vault);
    await admin.get(`/persons/${e}`);
    expect((await admin.post(`/persons/${e}/co-approvals`, { purpose: 'withholding_slip', note: '' })).status).toBe(400);
    expect((await admin.post(`/persons/${e}/co-approvals`, { purpose: 'withholding_slip', note: '税務署から再提出の依頼（2026年分）' })).status).toBe(303);
    expect(actions(vault, 'purpose.co_approved')).toHaveLength(1);
    expect((await askReveal(handler, e, 'withholding_slip')).status).toBe(303);
    expect((await askReveal(handler, e, 'withholding_slip')).status).toBe(403);
  });
});

describe('3. the purposes recorded as notified are those the person was shown', () => {
  it('a code carries the purposes the handler chose per person; the page shows exactly those; the notice prints them and the real 通知日', async () => {
    const { vault, clock, handler } = await setUp();
    const e = await registerEmployee(handler, 'E1', '本人 太郎');
    const spouse = await registerDependant(vault, handler, e, '本人 花子');
    const page = await handler.get(`/persons/${e}`);
    expect(page.text).toContain(`name="purposes_${spouse}"`);
    const slip = await handler.post(`/persons/${e}/intake-codes`, {
      codePurposes: '1',
      [`purposes_${e}`]: ['withholding_slip', 'salary_payment_report'],
      [`purposes_${spouse}`]: ['withholding_slip'],
    });
    expect(slip.status, slip.text).toBe(200);
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/u.exec(slip.text)![0];
    clock.advance(2 * 86_400_000);
    const person = new Browser(testApp(vault));
    const form = await person.get(`/intake?code=${code}`);
    expect(form.status).toBe(200);
    const listed = (id: number) => /<ul class="purposes" data-person="(\d+)">([\s\S]*?)<\/ul>/gu;
    const lists = new Map([...form.text.matchAll(listed(0))].map((m) => [Number(m[1]), m[2]!]));
    expect(lists.get(e)).toContain('源泉徴収票作成事務');
    expect(lists.get(e)).toContain('給与支払報告書作成事務');
    expect(lists.get(e)).not.toContain('健康保険・厚生年金保険届出事務');
    expect(lists.get(spouse)).toContain('源泉徴収票作成事務');
    expect(lists.get(spouse)).not.toContain('国民年金第3号');
    expect(lists.get(spouse)).not.toContain('給与支払報告書作成事務');
    const done = await person.post('/intake', { code, own: n(8), [`dependant_${spouse}`]: n(9), acknowledged: 'yes' });
    expect(done.status, done.text).toBe(200);
    expect(vault.persons.numberOf(e)!.purposes).toEqual(['withholding_slip', 'salary_payment_report']);
    expect(vault.persons.numberOf(spouse)!.purposes).toEqual(['withholding_slip']);
    const text = await noticePdf(vault, spouse, '', 'law-use-self-intake-notice');
    expect(text).toContain('本人花子様');
    expect(text).toContain('源泉徴収票作成事務');
    expect(text).not.toContain('国民年金第3号被保険者');
    expect(text).toContain('2026年4月3日');
    expectNoNumbers(text, [n(8), n(9)]);
  });

  it('a payee code shows only the purposes chosen (a lawyer is not "notified" of 配当), and a payee code needs a choice', async () => {
    const { vault, handler } = await setUp();
    const p = await registerPayee(handler, 'P1');
    await handler.get(`/persons/${p}`);
    const none = await handler.post(`/persons/${p}/intake-codes`, { codePurposes: '1' });
    expect(none.status).toBe(400);
    const slip = await handler.post(`/persons/${p}/intake-codes`, { codePurposes: '1', [`purposes_${p}`]: ['payment_record_fees'] });
    expect(slip.status).toBe(200);
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/u.exec(slip.text)![0];
    const person = new Browser(testApp(vault));
    const form = await person.get(`/intake?code=${code}`);
    expect(form.text).toContain('報酬・料金等の支払調書作成事務');
    expect(form.text).not.toContain('配当等の支払調書作成事務');
    expect((await person.post('/intake', { code, own: n(10), acknowledged: 'yes' })).status).toBe(200);
    expect(vault.persons.numberOf(p)!.purposes).toEqual(['payment_record_fees']);
  });
});
