import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

/**
 * Issue 11 point 5 (one number, one record) in the filing merge: a part-timer
 * who is registered as an employee and holds the role of another employee's
 * spouse-dependant is found in that employee's family on his 源泉徴収票 file.
 * (The matcher saw only the primary kind and left her row unmatched.)
 */
const n = (i: number) => syntheticNumber(i, 59);

describe('filing merge and roles (issue 11 point 5)', () => {
  it('fills the spouse row of an employee with the number of a part-timer who holds that dependant role', async () => {
    const { vault } = await newTestVault(fixedClock('2026-01-15T01:00:00Z'));
    await addStaff(vault);
    const csv = ['種別,社員番号,氏名,生年月日,個人番号', `従業員,E2,正社 夫,1980-01-01,${n(1)}`, `従業員,E3,パート 妻,1982-02-02,${n(2)}`].join('\n');
    expect(importPersons(vault, Buffer.from(csv), { purposes: ['withholding_slip'], actor: { id: 't', name: 't' } }).committed).toBe(true);
    const partTimer = vault.persons.codes('employee').get('E3')!;
    const handler = new Browser(testApp(vault));
    await handler.signIn(HANDLER.login, HANDLER.password);
    await handler.get(`/persons/${partTimer}`);
    expect((await handler.post(`/persons/${partTimer}/roles`, { role: 'dependant', supporterCode: 'E2', relationship: '配偶者' })).status).toBe(303);

    await handler.get('/filings');
    const file = ['種別,社員番号,氏名,生年月日,個人番号,続柄,扶養元社員番号', '従業員,E2,正社 夫,1980-01-01,,,', '扶養親族,,パート 妻,1982-02-02,,配偶者,E2'].join('\r\n');
    const res = await handler.upload('/filings/upload?kind=appliance_csv&year=2025&name=gensen.csv', Buffer.from(`${file}\r\n`));
    expect(res.status, res.text).toBe(201);
    const review = await handler.get((res.body as { review: string }).review);
    expect(review.status).toBe(200);
    expect(review.text).not.toContain('この従業員の扶養親族として登録されていません');
    expect(review.text).toContain('行 2・番号を入れる 2');
    for (const i of [1, 2]) expect(review.text).not.toContain(n(i));
  });
});
