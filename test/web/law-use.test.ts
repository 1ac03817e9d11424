import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const TODAY = '2026-04-01';
const n = (i: number) => syntheticNumber(i, 91);

async function setUp(start = `${TODAY}T00:00:00Z`) {
  const clock = fixedClock(start);
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const handler = new Browser(testApp(vault));
  expect((await handler.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
  await handler.get('/');
  return { vault, clock, handler };
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
    const slip = await handler.post(`/persons/${payee}/intake-codes`, { purposes: ['payment_record_fees'] });
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

