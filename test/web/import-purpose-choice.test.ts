import { describe, expect, it } from 'vitest';
import { hashIntakeCode } from '../../src/services/intake.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

/**
 * Issue 11 point 3: an upload records as notified only the purposes the handler
 * chose. A file without a 利用目的 column and without a per-upload choice is
 * refused whole (it used to record every purpose of each person's kind).
 */
describe('CSV upload without a purpose choice (issue 11 point 3)', () => {
  it('refuses a file with no 利用目的 column when no purpose is ticked, stores nothing, and offers no ticked default', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const handler = new Browser(testApp(vault));
    await handler.signIn(HANDLER.login, HANDLER.password);
    const page = await handler.get('/imports');
    expect(page.text).toContain('name="purposes"');
    expect(page.text).not.toMatch(/name="purposes"[^>]*checked/u);
    const number = syntheticNumber(1, 97);
    const csv = Buffer.from(`種別,社員番号,氏名,個人番号\n支払先,P1,弁護 士郎,${number}\n`);
    for (const path of ['/imports', '/imports?purposes=']) {
      const r = await handler.upload(path, csv);
      expect(r.status, path).toBe(422);
      expect(r.text).toContain('利用目的」の列がなく、取り込みのときに利用目的も選ばれていません');
      expect(r.text).not.toContain(number);
    }
    const unknown = await handler.upload('/imports?purposes=dividends_everything', csv);
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('ない利用目的（1件）');
    expect(vault.persons.count().persons).toBe(0);
    // Chosen: only that purpose is recorded for the payee.
    const ok = await handler.upload('/imports?purposes=payment_record_fees', csv);
    expect(ok.status, ok.text).toBe(200);
    const id = vault.db.prepare("SELECT id FROM persons WHERE code = 'P1'").pluck().get() as number;
    expect(vault.persons.numberOf(id)!.purposes).toEqual(['payment_record_fees']);
  });
});

describe('self-intake code without a purpose choice (issue 11 point 3)', () => {
  it('refuses to issue a code when no purpose was chosen, and refuses a stored code that carries none', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const handler = new Browser(testApp(vault));
    await handler.signIn(HANDLER.login, HANDLER.password);
    await handler.get('/persons/new');
    const created = await handler.post('/persons', { kind: 'employee', code: 'E1', name: '選択 一郎', kana: 'センタク イチロウ' });
    expect(created.status, created.text).toBe(303);
    const id = Number(/(\d+)$/u.exec(created.headers.location!)![1]);
    await handler.get(`/persons/${id}`);
    const refused = await handler.post(`/persons/${id}/intake-codes`, {});
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('通知する利用目的を選んでから発行してください');
    expect(vault.db.prepare('SELECT count(*) FROM intake_codes').pluck().get()).toBe(0);
    // A code stored without purposes (issued before codes carried them): nobody chose them, so it is not used.
    vault.intakeCodes.insert(hashIntakeCode('AAAA-BBBB-CCCC'), { personId: id, issuedBy: vault.users.byLogin(HANDLER.login)!.id, issuedAt: '2026-04-01T00:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z', purposes: null });
    const page = await new Browser(testApp(vault)).get('/intake?code=AAAA-BBBB-CCCC');
    expect(page.status).toBe(403);
    expect(page.text).toContain('利用目的が選ばれていない古い形式');
  });
});
