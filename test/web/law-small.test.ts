import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES, ALL_PURPOSES_QUERY } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 4 }, (_, i) => syntheticNumber(i + 1, 71));

async function setUp() {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  await addStaff(vault);
  const csv = [
    '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号',
    `従業員,E1,山田 太郎,${NUMBERS[0]},,`,
    `扶養親族,,山田 花子,${NUMBERS[1]},配偶者,E1`,
    `支払先,P1,田中 翔,${NUMBERS[2]},,`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  return { vault, app, handler };
}

const newPerson = (birthDate: string) => ({ kind: 'employee', code: `E${Math.floor(Math.random() * 1e6)}`, name: '生年 月日', kana: '', birthDate, relationship: '', corporateNumber: '' });

describe('small rules of issue 11 (point 13) through the web', () => {
  it.each([
    ['昭和64年1月8日', '昭和 ended on 1989-01-07'],
    ['平成元年1月7日', '平成 began on 1989-01-08'],
    ['令和1年4月30日', '令和 began on 2019-05-01'],
    ['平成31年5月1日', '平成 ended on 2019-04-30'],
  ])('refuses the era date %s (%s) on the person form', async (date) => {
    const { vault, handler } = await setUp();
    const before = vault.db.prepare('SELECT count(*) FROM persons').pluck().get();
    await handler.get('/persons/new');
    const res = await handler.post('/persons', newPerson(date));
    expect(res.status).toBe(400);
    expect(res.text).toContain('生年月日');
    expect(vault.db.prepare('SELECT count(*) FROM persons').pluck().get()).toBe(before);
  });

  it.each([
    ['平成2年 4月 1日', '1990-04-01'],
    ['1990年 4月 1日', '1990-04-01'],
    ['昭和64年1月7日', '1989-01-07'],
    ['令和元年5月1日', '2019-05-01'],
  ])('accepts %s with spaces after the year or on an era boundary as %s', async (date, iso) => {
    const { vault, handler } = await setUp();
    await handler.get('/persons/new');
    const res = await handler.post('/persons', newPerson(date));
    expect(res.status).toBe(303);
    const id = Number(/\/persons\/(\d+)$/u.exec(res.headers.location!)![1]);
    expect(vault.db.prepare('SELECT birth_date FROM persons WHERE id = ?').pluck().get(id)).toBe(iso);
  });

  it('prints a dependant as 扶養中 and a payee as 取引中 (never 在職) in the list and the 管理台帳', async () => {
    const { app, handler } = await setUp();
    const cells = (html: string) => html.replace(/<[^>]+>/gu, '|').replace(/\s+/gu, '').replace(/\|+/gu, '|');
    const list = cells((await handler.get('/persons')).text);
    expect(list).toContain('|支払先|取引中|');
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const ledger = cells((await admin.get('/reports/register')).text);
    expect(ledger).toContain('|扶養親族|扶養中|');
    expect(ledger).toContain('|支払先|取引中|');
    expect(ledger).toContain('|従業員|在職|');
    expect(ledger).not.toMatch(/\|(扶養親族|支払先)\|在職\|/u);
  });

  const n = NUMBERS[3]!;
  const spaced = (groups: number[], sep: string) => {
    const out: string[] = [];
    let i = 0;
    for (const g of groups) {
      out.push(n.slice(i, i + g));
      i += g;
    }
    return out.join(sep);
  };
  it.each([
    ['pairs with spaces', spaced([2, 2, 2, 2, 2, 2], ' ')],
    ['6-6 with a hyphen', spaced([6, 6], '-')],
    ['4.4.4 with dots', spaced([4, 4, 4], '.')],
    ['zero-width spaces between digits', n.split('').join('\u200b')],
    ['word joiners and a soft hyphen', spaced([4, 4, 4], '\u2060\u00ad')],
    ['ideographic spaces in 3-3-3-3', spaced([3, 3, 3, 3], '\u3000')],
    ['in a sentence, 2-4-6', `理由 ${spaced([2, 4, 6], ' ')} のため`],
  ])('refuses a number written as %s in a free-text field (legal hold reason) and never echoes it', async (_what, text) => {
    const { vault, handler } = await setUp();
    await handler.get('/persons/1');
    const res = await handler.post('/persons/1/hold', { reason: text });
    expect(res.status).toBe(400);
    // Invisible characters are refused by the text-safety rule before the number guard looks; either way nothing is kept.
    expect(res.text).toMatch(/12桁|目に見えない文字/u);
    expect(res.text).not.toContain(n);
    expect(vault.retention.holdOf(1)).toBeUndefined();
    expect(JSON.stringify(auditEvents(vault))).not.toContain(n.slice(0, 6));
  });

  it('accepts on the number field what the guard refuses: the parser and the guard share one normaliser', async () => {
    const { MyNumber } = await import('../../src/domain/my-number.js');
    const { looksLikeNumber } = await import('../../src/domain/digits.js');
    for (const form of [spaced([2, 2, 2, 2, 2, 2], ' '), spaced([6, 6], '-'), n.split('').join('\u200b'), spaced([4, 4, 4], '\u2060')]) {
      expect(MyNumber.tryParse(form).ok).toBe(true);
      expect(looksLikeNumber(form)).toBe(true);
    }
    // A client's IPv4 address on the trail is not a number.
    expect(looksLikeNumber('192.168.100.200')).toBe(false);
    // A period on a printed report's audit row is two dates, not digit groups.
    expect(looksLikeNumber('{"period":"2026-04-01..2026-04-30"}')).toBe(false);
  });

  it('never echoes a header cell that looks like a number (a file without a header row)', async () => {
    const { handler } = await setUp();
    await handler.get('/imports');
    const csv = `従業員,E7,${spaced([4, 4, 4], '-')},鈴木 一郎\n従業員,E8,${NUMBERS[0]},鈴木 二郎\n`;
    const res = await handler.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from(csv));
    expect(res.status).toBe(422);
    expect(res.text).toContain('1行目が見出しではなくデータ');
    expect(res.text).not.toContain(n.slice(0, 4));
    expect(res.text).not.toContain(n.slice(-4));
  });

  it('warns on 000000000000 when a handler records it at intake', async () => {
    const { handler } = await setUp();
    await handler.get('/persons/new');
    const created = await handler.post('/persons', newPerson('1990-04-01'));
    const path = created.headers.location!;
    await handler.get(`${path}/intake`);
    const { purposeCodesFor } = await import('../../src/domain/purposes.js');
    const res = await handler.post(`${path}/intake`, { purposes: purposeCodesFor('employee'), number: '0000-0000-0000', method: 'in_person', numberDocument: 'my_number_card', checkedOn: '2026-04-01' });
    expect(res.status).toBe(303);
    const page = await handler.get(res.headers.location!);
    expect(page.text).toContain('placeholder-warning');
    expect(page.text).toContain('すべて0');
  });

  it('warns on 000000000000 at import (it passes the check digit)', async () => {
    const { handler } = await setUp();
    await handler.get('/imports');
    const res = await handler.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from('種別,社員番号,氏名,個人番号\n従業員,E9,零 太郎,0000 0000 0000\n'));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { committed: boolean; warnings: { line: number; message: string }[] };
    expect(body.committed).toBe(true);
    expect(body.warnings).toEqual([{ line: 2, message: expect.stringContaining('すべて0') }]);
  });
});

