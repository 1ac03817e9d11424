import { describe, expect, it } from 'vitest';
import { shownSubjects } from '../../src/storage/audit-names-repo.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

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
  return vault.db.prepare(`SELECT ${shownSubjects('e')} AS subjects, detail, purpose FROM audit_events e WHERE action = ? ORDER BY seq`).all(action) as { subjects: string; detail: string; purpose: string | null }[];
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
    const report = importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } });
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

async function selfSubmit(vault: Vault, code: string, own: string) {
  const person = new Browser(testApp(vault));
  expect((await person.get(`/intake?code=${code}`)).status).toBe(200);
  return person.post('/intake', { code, own, acknowledged: 'yes' });
}

describe('4. identity-check rules take the person kind, the method and the history', () => {
  const intake = (b: Browser, id: number, form: Record<string, string | string[]>) => b.get(`/persons/${id}/intake`).then(() => b.post(`/persons/${id}/intake`, { checkedOn: TODAY, ...form }));

  it('allows the employment exemption only for an employee checked in person', async () => {
    const { vault, handler } = await setUp();
    const payee = await registerPayee(handler, 'P1');
    const byPayee = await intake(handler, payee, { purposes: ['payment_record_fees'], number: n(11), method: 'in_person', numberDocument: 'notification_card', identityDocuments: ['known_by_employer'] });
    expect(byPayee.status).toBe(400);
    expect(byPayee.text).toContain('自社の従業員本人にだけ');
    const e = await registerEmployee(handler, 'E1');
    const byMail = await intake(handler, e, { purposes: ['withholding_slip'], number: n(12), method: 'mail', numberDocument: 'notification_card', identityDocuments: ['known_by_employer'] });
    expect(byMail.status).toBe(400);
    expect(byMail.text).toContain('対面で確認したときだけ');
    const inPerson = await intake(handler, e, { purposes: ['withholding_slip'], number: n(12), method: 'in_person', numberDocument: 'notification_card', identityDocuments: ['known_by_employer'] });
    expect(inPerson.status).toBe(303);
    expect(vault.persons.numberOf(payee)).toBeUndefined();
  });

  it('accepts 「過去に本人確認して作成したファイル」 only with a check on record for the same number', async () => {
    const { vault, handler } = await setUp();
    const e = await registerEmployee(handler, 'E1');
    const first = await intake(handler, e, { purposes: ['withholding_slip'], number: n(13), method: 'in_person', numberDocument: 'earlier_file', identityDocuments: ['known_by_employer'] });
    expect(first.status).toBe(400);
    expect(first.text).toContain('初めての取得');
    // Self-intake, then a later check: still no earlier check for this number.
    const p = await registerEmployee(handler, 'E2');
    await handler.get(`/persons/${p}`);
    const slip = await handler.post(`/persons/${p}/intake-codes`, { codePurposes: '1', [`purposes_${p}`]: ['withholding_slip'] });
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/u.exec(slip.text)![0];
    expect((await selfSubmit(vault, code, n(14))).status).toBe(200);
    await handler.get(`/persons/${p}/identity-check`);
    const later = await handler.post(`/persons/${p}/identity-check`, { method: 'in_person', numberDocument: 'earlier_file', identityDocuments: ['known_by_employer'], checkedOn: TODAY });
    expect(later.status).toBe(400);
    const card = await handler.post(`/persons/${p}/identity-check`, { method: 'in_person', numberDocument: 'my_number_card', checkedOn: TODAY });
    expect(card.status).toBe(303);
    // The next year's check may rest on the earlier file: a check for this same number is on record.
    const next = await handler.post(`/persons/${p}/identity-check`, { method: 'in_person', numberDocument: 'earlier_file', identityDocuments: ['known_by_employer'], checkedOn: TODAY });
    expect(next.status).toBe(303);
  });

  it('records a dependant as checked by the employee (扶養控除等申告書), but not where 第3号 is among the purposes; a proxy check records 代理権 and the proxy', async () => {
    const { vault, handler } = await setUp();
    const e = await registerEmployee(handler, 'E1');
    const child = await registerDependant(vault, handler, e, '子 一郎', '子');
    const byEmployee = await intake(handler, child, { purposes: ['withholding_slip', 'dependant_declaration'], number: n(15), method: 'in_person', route: 'employee_declaration' });
    expect(byEmployee.status, byEmployee.text).toBe(303);
    expect(vault.identityChecks.forPerson(child)[0]).toMatchObject({ route: 'employee_declaration' });
    const spouse = await registerDependant(vault, handler, e, '配偶 花子');
    const third = { purposes: ['withholding_slip', 'health_dependant_change'], number: n(16), method: 'in_person' };
    const refused = await intake(handler, spouse, { ...third, route: 'employee_declaration' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('第3号');
    const noAuthority = await intake(handler, spouse, { ...third, route: 'proxy', numberDocument: 'notification_card', proxyDocuments: ['known_by_employer'] });
    expect(noAuthority.status).toBe(400);
    const proxy = await intake(handler, spouse, { ...third, route: 'proxy', numberDocument: 'notification_card', authorityDocument: 'power_of_attorney', proxyDocuments: ['known_by_employer'] });
    expect(proxy.status, proxy.text).toBe(303);
    expect(vault.identityChecks.forPerson(spouse)[0]).toMatchObject({ route: 'proxy', detail: { authority_document: 'power_of_attorney', proxy_documents: ['known_by_employer'] } });
  });

  it('takes the document kinds of 施行規則, and an 「その他（名称を記入）」 name that is not number-like', async () => {
    const { handler } = await setUp();
    const p = await registerPayee(handler, 'P2');
    const base = { purposes: ['payment_record_fees'], number: n(17), method: 'mail', numberDocument: 'resident_record' };
    const numbered = await intake(handler, p, { ...base, identityDocuments: ['official_non_photo', 'other_named'], otherDocumentName: '社員証 1234 5678 9012' });
    expect(numbered.status).toBe(400);
    expect(numbered.text).toContain('番号を書かないでください');
    expect(numbered.text).not.toContain('1234 5678 9012');
    const named = await intake(handler, p, { ...base, identityDocuments: ['official_non_photo', 'other_named'], otherDocumentName: '国民年金証書' });
    expect(named.status, named.text).toBe(303);
    const photo = await registerPayee(handler, 'P3');
    expect((await intake(handler, photo, { ...base, number: n(18), identityDocuments: ['official_photo_id'] })).status).toBe(303);
  });

  it('warns on the request page when the number has no identity check, and by the setting refuses the reveal and leaves it out of an export', async () => {
    const { vault, handler } = await setUp();
    const p = await registerEmployee(handler, 'E9', '未確認 次郎');
    const checked = await registerEmployee(handler, 'E8', '確認 済子');
    await takeNumber(handler, checked, n(19), ['withholding_slip']);
    await handler.get(`/persons/${p}`);
    const slip = await handler.post(`/persons/${p}/intake-codes`, { codePurposes: '1', [`purposes_${p}`]: ['withholding_slip'] });
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/u.exec(slip.text)![0];
    expect((await selfSubmit(vault, code, n(20))).status).toBe(200);
    const warned = await askReveal(handler, p, 'withholding_slip');
    expect(warned.status).toBe(303);
    const page = await handler.get(warned.headers.location!);
    expect(page.text).toContain('本人確認が未了の番号');
    expect(page.text).toContain('未確認 次郎');
    await handler.post(`${warned.headers.location!}/cancel`, {});
    const admin = await adminBrowser(vault);
    await admin.get('/settings');
    expect((await admin.post('/settings/identity-policy', { policy: 'block' })).status).toBe(303);
    const blocked = await askReveal(handler, p, 'withholding_slip');
    expect(blocked.status).toBe(403);
    await handler.get('/gate/export/new');
    const r = await handler.post('/gate/export', { set: 'employees', purpose: 'withholding_slip', encoding: 'utf8_bom' });
    expect(r.status).toBe(303);
    const requestId = Number(/\/gate\/(\d+)$/u.exec(r.headers.location!)![1]);
    expect(vault.gate.byId(requestId)!.personIds).toEqual([checked]);
    expect((await handler.get(`/gate/${requestId}`)).text).toContain('本人確認が記録されていません');
  });
});

describe('9. an export takes a year and includes the persons who left or ended during it', () => {
  it('includes the year\'s leavers and their dependants for 源泉徴収票, and payees whose 取引 ended in the year for 支払調書', async () => {
    const { vault, clock, handler: first } = await setUp();
    const stays = await registerEmployee(first, 'E1', '在籍 一郎');
    const left = await registerEmployee(first, 'E2', '退職 二郎');
    const leftSpouse = await registerDependant(vault, first, left, '退職 配子');
    const earlier = await registerEmployee(first, 'E3', '昨年 退職');
    await takeNumber(first, stays, n(21), ['withholding_slip']);
    await takeNumber(first, left, n(22), ['withholding_slip']);
    await first.get(`/persons/${leftSpouse}/intake`);
    expect((await first.post(`/persons/${leftSpouse}/intake`, { purposes: ['withholding_slip'], number: n(23), method: 'in_person', numberDocument: 'my_number_card', checkedOn: TODAY })).status).toBe(303);
    await takeNumber(first, earlier, n(24), ['withholding_slip']);
    const payee = await registerPayee(first, 'P1');
    await takeNumber(first, payee, n(25), ['payment_record_fees']);
    await first.get(`/persons/${left}`);
    expect((await first.post(`/persons/${left}/retire`, { date: '2026-06-30' })).status).toBe(303);
    expect((await first.post(`/persons/${payee}/retire`, { date: '2026-09-30' })).status).toBe(303);
    expect((await first.post(`/persons/${earlier}/retire`, { date: '2025-12-31', confirm: '1' })).status).toBe(303);
    clock.advance(Date.parse('2027-01-15T00:00:00Z') - clock.now().getTime());
    const handler = await handlerBrowser(vault);
    const ask = async (form: Record<string, string>) => {
      await handler.get('/gate/export/new');
      const r = await handler.post('/gate/export', { encoding: 'utf8_bom', ...form });
      expect(r.status, r.text).toBe(303);
      const id = Number(/\/gate\/(\d+)$/u.exec(r.headers.location!)![1]);
      await handler.post(`/gate/${id}/cancel`, {});
      return vault.gate.byId(id)!.personIds;
    };
    expect(await ask({ set: 'employees', purpose: 'withholding_slip', year: '2026' })).toEqual([stays, left, leftSpouse]);
    expect(await ask({ set: 'payees', purpose: 'payment_record_fees', year: '2026' })).toEqual([payee]);
    // Without a year: the persons current today only, as before.
    expect(await ask({ set: 'employees', purpose: 'withholding_slip' })).toEqual([stays]);
  });
});

describe('3. (import) the purposes recorded for an imported person are those the handler chose', () => {
  it('takes a per-upload choice and a 利用目的 column, and refuses a row whose person was notified of nothing', async () => {
    const { vault, handler } = await setUp();
    await handler.get('/imports');
    const csv = (rows: string[]) => Buffer.from(['種別,社員番号,氏名,個人番号,利用目的', ...rows].join('\n') + '\n');
    const chosen = await handler.upload('/imports?purposes=withholding_slip,payment_record_fees', csv([`従業員,E1,取込 一郎,${n(30)},`, `支払先,P1,弁護 士郎,${n(31)},`, `支払先,P2,大家 三郎,${n(32)},不動産の使用料等の支払調書作成事務`]));
    expect(chosen.status, chosen.text).toBe(200);
    const byCode = (code: string) => vault.db.prepare('SELECT id FROM persons WHERE code = ?').pluck().get(code) as number;
    expect(vault.persons.numberOf(byCode('E1'))!.purposes).toEqual(['withholding_slip']);
    expect(vault.persons.numberOf(byCode('P1'))!.purposes).toEqual(['payment_record_fees']);
    expect(vault.persons.numberOf(byCode('P2'))!.purposes).toEqual(['payment_record_real_estate']);
    expect(vault.purposeNotices.forPerson(byCode('P1'))).toMatchObject([{ via: 'import', purposes: ['payment_record_fees'] }]);
    const nothing = await handler.upload('/imports?purposes=withholding_slip', csv([`支払先,P3,講師 四郎,${n(33)},`]));
    expect(nothing.status).toBe(422);
    expect(nothing.text).toContain('通知した利用目的がありません');
    expect(nothing.text).not.toContain(n(33));
  });
});

describe('5. one number, one record: several roles over one sealed number, purposes per role', () => {
  it('lets an employee (社長) also be a payee and a part-timer also a spouse-dependant, without a second number', async () => {
    const { vault, handler } = await setUp();
    const boss = await registerEmployee(handler, 'E1', '社長 大家');
    await takeNumber(handler, boss, n(40), ['withholding_slip']);
    await handler.get(`/persons/${boss}`);
    expect((await handler.post(`/persons/${boss}/roles`, { role: 'payee', code: 'P9' })).status).toBe(303);
    expect((await handler.post(`/persons/${boss}/roles`, { role: 'payee', code: 'P8' })).status).toBe(400);
    const notice = await handler.post(`/persons/${boss}/purposes`, { purposes: ['payment_record_real_estate'] });
    expect(notice.status, notice.text).toBe(303);
    expect(vault.purposeNotices.forPerson(boss).at(-1)).toMatchObject({ role: 'payee', purposes: ['payment_record_real_estate'] });
    expect((await askReveal(handler, boss, 'payment_record_real_estate')).status).toBe(303);
    await handler.get('/gate/export/new');
    const r = await handler.post('/gate/export', { set: 'payees', purpose: 'payment_record_real_estate', encoding: 'utf8_bom' });
    expect(r.status, r.text).toBe(303);
    expect(vault.gate.byId(Number(/\/gate\/(\d+)$/u.exec(r.headers.location!)![1]))!.personIds).toEqual([boss]);

    const husband = await registerEmployee(handler, 'E2', '正社 夫');
    const partTimer = await registerEmployee(handler, 'E3', 'パート 妻');
    await takeNumber(handler, partTimer, n(41), ['withholding_slip']);
    await handler.get(`/persons/${partTimer}`);
    expect((await handler.post(`/persons/${partTimer}/roles`, { role: 'dependant', supporterCode: 'E2', relationship: '配偶者' })).status).toBe(303);
    expect((await handler.post(`/persons/${partTimer}/purposes`, { purposes: ['health_dependant_change'] })).status).toBe(303);
    expect((await askReveal(handler, partTimer, 'health_dependant_change')).status).toBe(303);
    const page = await handler.get(`/persons/${partTimer}`);
    expect(page.text).toContain('正社 夫 の 配偶者');
    expect(vault.persons.heldNumberCount()).toBe(2);
    expect(husband).toBeGreaterThan(0);
    expect(actions(vault, 'person.role_added')).toHaveLength(2);
  });

  it('refuses an import row that gives a registered person\'s number in another role, and says to add the role instead', async () => {
    const { vault, handler } = await setUp();
    const boss = await registerEmployee(handler, 'E1', '社長 大家');
    await takeNumber(handler, boss, n(42), ['withholding_slip']);
    await handler.get('/imports');
    const csv = (rows: string[]) => Buffer.from(['種別,社員番号,氏名,個人番号', ...rows].join('\n') + '\n');
    const again = await handler.upload('/imports?purposes=payment_record_real_estate', csv([`支払先,P9,社長 大家,${n(42)}`]));
    expect(again.status).toBe(422);
    expect(again.text).toContain('既に登録済みの人と重複');
    expect(again.text).toContain('「役割（1人1番号）」から役割を追加');
    const twice = await handler.upload('/imports?purposes=withholding_slip,payment_record_real_estate', csv([`従業員,E5,兼務 五郎,${n(43)}`, `支払先,P5,兼務 五郎,${n(43)}`]));
    expect(twice.status).toBe(422);
    expect(twice.text).toContain('2行目と重複');
    expect(twice.text).toContain('「役割（1人1番号）」から役割を追加');
    expectNoNumbers(again.text + twice.text, [n(42), n(43)]);
    expect(vault.persons.heldNumberCount()).toBe(1);
  });
});
