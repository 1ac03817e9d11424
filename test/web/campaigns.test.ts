import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { hashIntakeCode } from '../../src/services/intake.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { codeForm } from '../helpers/purposes.js';

const ACTOR = { id: 'admin', name: '管理者' };
const DAY = 86_400_000;

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const emp = (code: string, name: string) => registerPerson(vault, ACTOR, { kind: 'employee', code, name, kana: '', birthDate: '1980-01-01', relationship: '', corporateNumber: '' }, null, null);
  const a = emp('E1', '青木 一郎');
  const b = emp('E2', '伊藤 二郎');
  const spouse = registerPerson(vault, ACTOR, { kind: 'employee', code: '', name: '青木 花子', kana: '', birthDate: '1982-01-01', relationship: '配偶者', corporateNumber: '' }, a, null);
  const payee = registerPerson(vault, ACTOR, { kind: 'payee', code: 'P1', name: '上田 税理士', kana: '', birthDate: '1960-01-01', relationship: '', corporateNumber: '' }, null, null);
  const browser = new Browser(testApp(vault));
  expect((await browser.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
  await browser.get('/campaigns');
  return { vault, clock, a, b, spouse, payee, browser };
}

const counts = (html: string) => Object.fromEntries([...html.matchAll(/<td data-state="([a-z]+)">(\d+)<\/td>/gu)].map((m) => [m[1], Number(m[2])]));
const codesIn = (html: string) => [...html.matchAll(/<p class="ccode">([A-Z0-9-]{14})<\/p>/gu)].map((m) => m[1]!);

async function newCampaign(browser: Browser, form: Record<string, string | string[]>): Promise<number> {
  const r = await browser.post('/campaigns', { name: '2026年度 番号収集', filter: 'missing', validDays: '14', purposes_employee: ['withholding_slip', 'salary_payment_report'], purposes_dependant: ['withholding_slip'], ...form });
  expect(r.status, r.text?.slice(0, 400)).toBe(303);
  return Number(/\/campaigns\/(\d+)$/u.exec(r.headers.location!)![1]);
}

function memberState(vault: Vault, campaign: number, person: number): string {
  return vault.db.prepare('SELECT state FROM campaign_members WHERE campaign_id = ? AND person_id = ?').pluck().get(campaign, person) as string;
}

describe('collection campaigns', () => {
  it('refuses purposes that do not concern a kind, and a payee campaign without payee purposes', async () => {
    const { browser, vault } = await setUp();
    const bad = await browser.post('/campaigns', { name: 'x', filter: 'missing', validDays: '14', purposes_employee: ['payment_record_fees'] });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('この種別に使えない利用目的が含まれています');
    // The name typed is kept.
    expect(bad.text).toContain('value="x"');
    const payees = await browser.post('/campaigns', { name: 'y', filter: 'payees_of_year', filterArg: '2026', validDays: '14' });
    expect(payees.status).toBe(400);
    expect(payees.text).toContain('支払先に通知する利用目的を1つ以上選んでください');
    expect(vault.db.prepare('SELECT count(*) FROM campaigns').pluck().get()).toBe(0);
  });

  it('issues codes in bulk that carry the campaign purposes per kind; reloading the slip page shows the same codes and keeps them valid', async () => {
    const { browser, vault, a, spouse, payee } = await setUp();
    const id = await newCampaign(browser, { purposes_payee: ['payment_record_fees'] });
    expect(counts((await browser.get(`/campaigns/${id}`)).text)).toMatchObject({ pending: 3, issued: 0, total: 3 });
    const issued = await browser.post(`/campaigns/${id}/issue`);
    expect(issued.status).toBe(303);
    const slipPath = issued.headers.location!;
    const first = await browser.get(slipPath);
    expect(first.status).toBe(200);
    const codes = codesIn(first.text);
    expect(codes).toHaveLength(3);
    const again = await browser.get(slipPath);
    expect(codesIn(again.text)).toEqual(codes);
    // The employee's code carries their purposes and their dependant's; the payee's, the payee purposes.
    const row = vault.intakeCodes.get(hashIntakeCode(codes[0]!))!;
    expect(row.personId).toBe(a);
    expect(row.purposes).toEqual({ [a]: ['withholding_slip', 'salary_payment_report'], [spouse]: ['withholding_slip'], new_dependant: ['withholding_slip'] });
    expect(vault.intakeCodes.get(hashIntakeCode(codes[2]!))!.purposes).toEqual({ [payee]: ['payment_record_fees'] });
    for (const c of codes) expect(vault.intakeCodes.get(hashIntakeCode(c))!.usedAt).toBeNull();
    // Only hashes are stored.
    for (const c of codes) expect(JSON.stringify(vault.db.prepare('SELECT * FROM campaign_members').all())).not.toContain(c);
    const csv = await browser.get(`${slipPath}/csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    for (const c of codes) expect(csv.text).toContain(c);
    // Printing done: the codes are gone from memory; the page says to reissue, and the codes still work.
    expect((await browser.post(`${slipPath}/done`)).status).toBe(303);
    const gone = await browser.get(slipPath);
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('再発行してください');
    const open = await new Browser(browser.app).get(`/intake?code=${codes[1]}`);
    expect(open.status).toBe(200);
    const audit = vault.db.prepare("SELECT subjects, detail FROM audit_events WHERE action = 'campaign.codes_issued'").get() as { subjects: string; detail: string };
    expect(JSON.parse(audit.subjects)).toHaveLength(3);
    expect(JSON.parse(audit.detail)).toMatchObject({ campaign: id, codes: 3 });
  });

  it('moves members through 提出済, 期限切れ and 本人確認済, and the reminder reissues only to who has not submitted (audited)', async () => {
    const { browser, vault, clock, a, b } = await setUp();
    const id = await newCampaign(browser, { filter: 'joined_since', filterArg: '2026-04-01' });
    const slips = await browser.get((await browser.post(`/campaigns/${id}/issue`)).headers.location!);
    const [codeA, codeB] = codesIn(slips.text);
    const person = new Browser(browser.app);
    const form = await person.get(`/intake?code=${codeA}`);
    expect(form.status).toBe(200);
    const dependantField = /name="(dependant_\d+)"/u.exec(form.text)![1]!;
    const done = await person.post('/intake', { code: codeA!, own: syntheticNumber(1, 3), [dependantField]: syntheticNumber(2, 3), acknowledged: 'yes' });
    expect(done.status, done.text.slice(0, 300)).toBe(200);
    expect(memberState(vault, id, a)).toBe('submitted');
    let page = await browser.get(`/campaigns/${id}`);
    expect(counts(page.text)).toMatchObject({ pending: 0, issued: 1, expired: 0, submitted: 1, verified: 0 });
    expect(page.text).toContain('伊藤 二郎');
    clock.advance(15 * DAY);
    // The staff session has timed out over the fortnight: sign in again.
    expect((await browser.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
    page = await browser.get(`/campaigns/${id}`);
    expect(counts(page.text)).toMatchObject({ issued: 0, expired: 1, submitted: 1 });
    const re = await browser.post(`/campaigns/${id}/reissue`);
    expect(re.status).toBe(303);
    const reCodes = codesIn((await browser.get(re.headers.location!)).text);
    expect(reCodes).toHaveLength(1);
    expect(reCodes[0]).not.toBe(codeB);
    expect(vault.intakeCodes.get(hashIntakeCode(reCodes[0]!))!.personId).toBe(b);
    expect(counts((await browser.get(`/campaigns/${id}`)).text)).toMatchObject({ issued: 1, expired: 0, submitted: 1 });
    expect(vault.db.prepare("SELECT count(*) FROM audit_events WHERE action = 'campaign.codes_reissued'").pluck().get()).toBe(1);
    // A single code issued to the member afterwards supersedes the campaign's: 期限切れ at once.
    await browser.get(`/persons/${b}`);
    expect((await browser.post(`/persons/${b}/intake-codes`, codeForm(vault, b))).status).toBe(200);
    expect(counts((await browser.get(`/campaigns/${id}`)).text)).toMatchObject({ issued: 0, expired: 1 });
    // 本人確認 recorded for the submitter: 本人確認済.
    const check = await browser.post(`/persons/${a}/identity-check`, { method: 'in_person', numberDocument: 'my_number_card', checkedOn: '2026-04-16' });
    expect(check.status, check.text.slice(0, 300)).toBe(303);
    expect(counts((await browser.get(`/campaigns/${id}`)).text)).toMatchObject({ submitted: 0, verified: 1 });
  });

  it('names the company and contact on the employee page, and an error page there leads back to the code page, not the staff sign-in', async () => {
    const { browser } = await setUp();
    expect((await browser.post('/campaigns/contact', { contact: '人事部 山田 内線123' })).status).toBe(303);
    const person = new Browser(browser.app);
    const page = await person.get('/intake');
    expect(page.text).toContain('人事部 山田 内線123');
    expect(page.text).toContain('href="/intake"');
    const expired = await person.get('/intake?code=AAAA-BBBB-CCCC');
    expect(expired.status).toBe(404);
    expect(expired.text).toContain('入力コードの画面へ戻る');
    expect(expired.text).not.toContain('<a href="/">ホームへ戻る</a>');
  });

  it('lets the employee add a family member (with 異動日, number and the campaign purposes) and record that a listed one left, all in the submission', async () => {
    const { browser, vault, a, spouse } = await setUp();
    const id = await newCampaign(browser, { filter: 'joined_since', filterArg: '2026-04-01', purposes_dependant: ['withholding_slip', 'dependant_declaration'] });
    const [code] = codesIn((await browser.get((await browser.post(`/campaigns/${id}/issue`)).headers.location!)).text);
    const person = new Browser(browser.app);
    const page = await person.get(`/intake?code=${code}`);
    expect(page.text).toContain('新しく扶養に入ったご家族');
    const child = syntheticNumber(31, 3);
    const form = { code: code!, acknowledged: 'yes', own: syntheticNumber(30, 3), [`ended_${spouse}`]: '2026-03-31', new_0_name: '青木 次郎', new_0_kana: 'アオキ ジロウ', new_0_birthDate: '2026-02-01', new_0_relationship: '子', new_0_since: '2026-02-01', new_0_number: child };
    // First with a 異動日 in the future: everything typed comes back but the numbers.
    const bad = await person.post('/intake', { ...form, new_0_since: '2027-01-01' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('扶養に入った日が未来の日付です');
    expect(bad.text).toContain('value="青木 次郎"');
    expect(bad.text).toContain('value="アオキ ジロウ"');
    expect(bad.text).toContain('value="2026-03-31"');
    expect(bad.text).toContain('value="2027-01-01"');
    expect(bad.text).not.toContain(child);
    expect(bad.text).not.toContain(form.own);
    expect(vault.persons.dependantsOf(a)).toHaveLength(1);
    const ok = await person.post('/intake', form);
    expect(ok.status, ok.text.slice(0, 400)).toBe(200);
    const deps = vault.persons.dependantsOf(a);
    expect(deps.map((d) => d.name)).toEqual(['青木 花子', '青木 次郎']);
    expect(vault.persons.dependantUntil(spouse)).toBe('2026-03-31');
    const added = deps[1]!.id;
    expect(vault.persons.numberOf(added)).toMatchObject({ state: 'held', purposes: ['withholding_slip', 'dependant_declaration'] });
    expect(vault.persons.numberOf(spouse)).toBeUndefined();
    const actions = vault.db.prepare("SELECT action FROM audit_events WHERE actor_id = ? ORDER BY seq").pluck().all(`person:${a}`);
    expect(actions).toEqual(['person.dependant_ended', 'person.registered', 'intake.self_submitted']);
  });
});
