import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { pdfPages } from '../reports/pdf-helpers.js';

/**
 * Issue 11 point 5: retention per role. A person who holds several roles over
 * one number is kept until the latest of their roles' retention ends, each
 * role counted from its own end and 最終支払日; the disposal list, the home
 * counts and the 管理台帳 read the same function.
 */
const NUMBERS = Array.from({ length: 4 }, (_, i) => syntheticNumber(i + 1, 77));
const flat = (s: string) => s.replace(/\s+/gu, '');
const text = (html: string) => flat(html.replace(/<[^>]+>/gu, '|')).replace(/\|+/gu, '|');

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const csv = [
    '種別,社員番号,氏名,個人番号',
    `従業員,E1,兼務 社長,${NUMBERS[0]}`,
    `従業員,E2,兼務 扶養,${NUMBERS[1]}`,
    `従業員,E3,在職 夫,${NUMBERS[2]}`,
    `従業員,E4,単独 退職,${NUMBERS[3]}`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { actor: { id: 'cli', name: 'mnvault import' }, purposes: ['withholding_slip'] }).committed).toBe(true);
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  await handler.get('/');
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  await admin.get('/');
  return { vault, handler, admin };
}

const idOf = (vault: Vault, code: string) => vault.db.prepare("SELECT id FROM persons WHERE kind = 'employee' AND code = ?").pluck().get(code) as number;
const roleIdOf = (vault: Vault, person: number) => vault.roles.forPerson(person)[0]!.id;

async function retire(b: Browser, id: number, date: string) {
  await b.get(`/persons/${id}`);
  const r = await b.post(`/persons/${id}/retire`, { date, confirm: '1' });
  expect(r.status, r.text).toBe(303);
}

describe('retention per role (issue 11 point 5)', () => {
  it('keeps a leaver who still holds another role, until the latest role retention ends, in the disposal list, the home counts and the 管理台帳', async () => {
    const { vault, handler, admin } = await setUp();
    const boss = idOf(vault, 'E1');
    const partTimer = idOf(vault, 'E2');
    const lone = idOf(vault, 'E4');
    // E1 left as an employee in 2016 but still rents property to the company (a running payee role).
    await handler.get(`/persons/${boss}`);
    expect((await handler.post(`/persons/${boss}/roles`, { role: 'payee', code: 'P1' })).status).toBe(303);
    await retire(handler, boss, '2016-03-31');
    // E2 left in 2016 but is still the spouse-dependant of E3, who works on.
    await handler.get(`/persons/${partTimer}`);
    expect((await handler.post(`/persons/${partTimer}/roles`, { role: 'dependant', supporterCode: 'E3', relationship: '配偶者' })).status).toBe(303);
    await retire(handler, partTimer, '2016-03-31');
    // E4 left in 2016 and holds no other role: past retention.
    await retire(handler, lone, '2016-03-31');

    const list = await admin.get('/disposal');
    expect(list.text).toContain('単独 退職');
    expect(list.text).not.toContain('兼務 社長');
    expect(list.text).not.toContain('兼務 扶養');
    const home = text((await admin.get('/')).text);
    expect(home).toContain('関係が終了した番号（すべての役割が終了）|1名');
    expect(home).toContain('保存期間を過ぎた番号（廃棄対象）|1名');
    const ledger = text((await admin.get('/reports/register')).text);
    expect(ledger).toContain('関係が終了し、番号を保管中の人物（退職者の扶養親族を含む）|1名');
    expect(ledger).toContain('うち、保存期間の規則により保存期間を過ぎた人物（廃棄予定一覧と同じ判定）|1名');
    // A proposal cannot reach past the list either.
    const proposal = await admin.post('/disposal', { personId: [String(boss)], note: '' });
    expect(proposal.status).toBeGreaterThanOrEqual(400);
    expect(vault.retention.disposals('proposed')).toHaveLength(0);

    // The payee role ends on 2020-12-31: its 支払調書 copy is kept 5 years from 2021-02-01, so E1 is due now.
    await handler.get(`/persons/${boss}`);
    const ended = await handler.post(`/persons/${boss}/roles/${roleIdOf(vault, boss)}/end`, { date: '2020-12-31', lastPaidOn: '' });
    expect(ended.status, ended.text).toBe(303);
    expect((await admin.get('/disposal')).text).toContain('兼務 社長');
    // The role's last invoice was paid on 2021-01-15: counted from it, the role keeps the number until 2027-01-31.
    await handler.get(`/persons/${boss}`);
    const paid = await handler.post(`/persons/${boss}/roles/${roleIdOf(vault, boss)}/final-payment`, { date: '2021-01-15' });
    expect(paid.status, paid.text).toBe(303);
    expect((await admin.get('/disposal')).text).not.toContain('兼務 社長');
    const page = await handler.get(`/persons/${boss}`);
    expect(text(page.text)).toContain('保管期限|2027年1月31日');
    expect(text((await admin.get('/')).text)).toContain('関係が終了した番号（すべての役割が終了）|2名');

    // The dependant role ends with the supporter's 退職 (2019-03-31): the 扶養控除等申告書 rule counts 7 years
    // from 2020-01-11, so E2 has ended every role but is kept until 2027-01-10.
    await retire(handler, idOf(vault, 'E3'), '2019-03-31');
    expect((await admin.get('/disposal')).text).not.toContain('兼務 扶養');
    const later = text((await admin.get('/')).text);
    expect(later).toContain('関係が終了した番号（すべての役割が終了）|4名');
    expect(later).toContain('保存期間を過ぎた番号（廃棄対象）|1名');
    expect(text((await handler.get(`/persons/${partTimer}`)).text)).toContain('保管期限|2027年1月10日');

    const pdf = await admin.getBytes('/reports/register.pdf');
    expect(pdf.status).toBe(200);
    const printed = flat(pdfPages(pdf.body, 'register-roles').pages.join(''));
    expect(printed).toContain('番号を保管中の人物（退4名');
    expect(printed).toContain('保存期間を1名過ぎた');

    const audit = vault.db.prepare("SELECT action, detail FROM audit_events WHERE action IN ('person.role_added', 'person.role_ended', 'person.final_payment_recorded') ORDER BY seq").all() as { action: string; detail: string }[];
    expect(audit.map((a) => a.action)).toEqual(['person.role_added', 'person.role_added', 'person.role_ended', 'person.final_payment_recorded']);
    expect(JSON.parse(audit[3]!.detail)).toMatchObject({ paid_on: '2021-01-15', role: 'payee' });
  }, 60_000);

  it('refuses a role end in the future, a second end, and a 最終支払日 before the end, with the reason in Japanese', async () => {
    const { vault, handler } = await setUp();
    const boss = idOf(vault, 'E1');
    await handler.get(`/persons/${boss}`);
    expect((await handler.post(`/persons/${boss}/roles`, { role: 'payee', code: 'P1' })).status).toBe(303);
    const role = roleIdOf(vault, boss);
    await handler.get(`/persons/${boss}`);
    const future = await handler.post(`/persons/${boss}/roles/${role}/end`, { date: '2027-01-01', lastPaidOn: '' });
    expect(future.status).toBe(400);
    expect(future.text).toContain('終了日が未来の日付です');
    const early = await handler.post(`/persons/${boss}/roles/${role}/end`, { date: '2026-03-31', lastPaidOn: '2026-03-01' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('最終支払日が終了日より前です');
    expect(vault.roles.forPerson(boss)[0]!.endedOn).toBeNull();
    expect((await handler.post(`/persons/${boss}/roles/${role}/end`, { date: '2026-03-31', lastPaidOn: '2026-04-01' })).status).toBe(303);
    expect(vault.roles.forPerson(boss)[0]).toMatchObject({ endedOn: '2026-03-31', lastPaidOn: '2026-04-01' });
    await handler.get(`/persons/${boss}`);
    expect((await handler.post(`/persons/${boss}/roles/${role}/end`, { date: '2026-03-31', lastPaidOn: '' })).status).toBe(409);
  });
});
