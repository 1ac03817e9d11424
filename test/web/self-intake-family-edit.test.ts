import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { actorOf } from '../../src/services/accounts.js';
import { issueIntakeCode } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { defaultCodePurposes } from '../helpers/purposes.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const SEED = { id: 'seed', name: 'テスト準備' };

async function setUp() {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  await addStaff(vault);
  const reg = (form: { code: string; name: string; kana: string; birthDate: string; relationship: string }, supporter: number | null = null) =>
    registerPerson(vault, SEED, { kind: 'employee', corporateNumber: '', ...form }, supporter, null);
  const emp = reg({ code: 'E1', name: '青木 一郎', kana: 'アオキ イチロウ', birthDate: '1980-01-01', relationship: '' });
  const wife = reg({ code: '', name: '山本 花子', kana: 'ヤマモト ハナコ', birthDate: '1982-05-05', relationship: '配偶者' }, emp);
  const son = reg({ code: '', name: '青木 太一', kana: 'アオキ タイチ', birthDate: '2010-01-01', relationship: '子' }, emp);
  const { code } = issueIntakeCode(vault, actorOf(vault.users.byLogin(HANDLER.login)!), emp, null, defaultCodePurposes(vault, emp));
  return { vault, emp, wife, son, code, person: new Browser(testApp(vault)) };
}

describe('the employee corrects a listed dependant on the self-intake page', () => {
  it("changes a dependant's name, kana and birth date with the 異動日, audited as the employee's own entry, and the handler sees it", async () => {
    const { vault, emp, wife, son, code, person } = await setUp();
    const page = await person.get(`/intake?code=${code}`);
    expect(page.text).toContain(`id="changed_${wife}_name"`);
    expect(page.text).toContain(`id="changed_${son}_birthDate"`);
    const form = {
      code,
      acknowledged: 'yes',
      own: syntheticNumber(40, 3),
      [`changed_${wife}_name`]: '青木 花子',
      [`changed_${wife}_kana`]: 'アオキ ハナコ',
      [`changed_${wife}_on`]: '2026-03-20',
      [`changed_${son}_birthDate`]: '2010-01-02',
      [`changed_${son}_on`]: '2026-03-01',
    };
    // A change without its date, and one dated in the future: nothing is stored, everything typed comes back but the number.
    const bad = await person.post('/intake', { ...form, [`changed_${wife}_on`]: '', [`changed_${son}_on`]: '2026-12-01' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('変更があった日（異動日）を 2026-04-01 の形で入れてください');
    expect(bad.text).toContain('変更があった日が未来の日付です');
    expect(bad.text).toContain('value="青木 花子"');
    expect(bad.text).toContain('value="2010-01-02"');
    expect(bad.text).toContain(`aria-describedby="changed_${wife}_on-error"`);
    expect(bad.text).not.toContain(form.own);
    expect(vault.persons.byId(wife)!.name).toBe('山本 花子');
    // A birth date the register refuses is named on its field.
    const wrongDate = await person.post('/intake', { ...form, [`changed_${son}_birthDate`]: '2030-01-01' });
    expect(wrongDate.status).toBe(400);
    expect(wrongDate.text).toContain(`id="changed_${son}_birthDate-error"`);

    const ok = await person.post('/intake', form);
    expect(ok.status, ok.text.slice(0, 400)).toBe(200);
    expect(vault.persons.byId(wife)).toMatchObject({ name: '青木 花子', kana: 'アオキ ハナコ', birthDate: '1982-05-05', relationship: '配偶者' });
    expect(vault.persons.byId(son)).toMatchObject({ name: '青木 太一', birthDate: '2010-01-02' });
    const rows = vault.db.prepare("SELECT actor_id, actor_name, detail FROM audit_events WHERE action = 'person.updated' AND actor_id = ? ORDER BY seq").all(`person:${emp}`) as {
      actor_name: string;
      detail: string;
    }[];
    expect(rows.map((r) => JSON.parse(r.detail) as unknown)).toEqual([
      { fields: 'name,kana', changed_on: '2026-03-20', via: 'self_intake' },
      { fields: 'birthDate', changed_on: '2026-03-01', via: 'self_intake' },
    ]);
    // The handler finds the new name in the register and the employee's change in the person's history.
    const handler = new Browser(person.app);
    expect((await handler.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
    const shown = await handler.get(`/persons/${wife}`);
    expect(shown.text).toContain('青木 花子');
    expect(shown.text).toMatch(/青木 一郎（本人入力）<\/td><td>人物の編集/u);
  });
});
