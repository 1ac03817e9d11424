import { describe, expect, it } from 'vitest';
import { findUnsafeCharacter, normaliseText } from '../../src/domain/text-safety.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES_QUERY } from '../helpers/purposes.js';

/** Characters that make a text display as another (each must be refused). */
const LIARS: [string, string][] = [
  ['RLO U+202E', '\u202E'],
  ['LRE U+202A', '\u202A'],
  ['RLI U+2067', '\u2067'],
  ['PDI U+2069', '\u2069'],
  ['RLM U+200F', '\u200F'],
  ['LRM U+200E', '\u200E'],
  ['ALM U+061C', '\u061C'],
  ['zero-width space U+200B', '\u200B'],
  ['zero-width joiner U+200D', '\u200D'],
  ['word joiner U+2060', '\u2060'],
  ['BOM U+FEFF', '\uFEFF'],
  ['soft hyphen U+00AD', '\u00AD'],
  ['tag character U+E0041', '\u{E0041}'],
  ['Hangul filler U+3164', '\u3164'],
];

async function signedIn(login: string, password: string) {
  const { vault } = await newTestVault();
  await addStaff(vault);
  const b = new Browser(testApp(vault));
  await b.signIn(login, password);
  return { vault, b };
}

describe('names that lie: bidi controls and invisible characters are refused in free text', () => {
  it('the domain rule finds each one, keeps variation selectors (異体字) and keeps CJK compatibility ideographs under NFKC', () => {
    for (const [, c] of LIARS) expect(findUnsafeCharacter(`山田${c}太郎`)).not.toBeNull();
    expect(findUnsafeCharacter('葛\u{E0100}飾 太郎')).toBeNull();
    expect(findUnsafeCharacter('山田 😀👨\u200D👩\u200D👧')).toBeNull();
    expect(findUnsafeCharacter('山\u200D田')).toBe('invisible');
    expect(normaliseText('\uFA19田 ＡＢＣ ｶﾅ')).toBe('\uFA19田 ABC カナ');
  });

  it('the person form refuses each in the name and the kana, naming the field, and stores nothing', async () => {
    const { vault, b } = await signedIn(HANDLER.login, HANDLER.password);
    await b.get('/persons/new');
    let i = 0;
    for (const [label, c] of LIARS) {
      for (const [field, value, fieldName] of [['name', `山田${c}太郎`, '氏名'], ['kana', `ヤマダ${c}タロウ`, 'フリガナ']] as const) {
        const form = { kind: 'employee', code: `L${i++}`, name: '山田 太郎', kana: 'ヤマダ タロウ', birthDate: '1990-04-01', [field]: value };
        const res = await b.post('/persons', form);
        expect(res.status, `${label} in ${field}`).toBe(400);
        expect(res.text).toContain(`${fieldName}に使えない文字`);
      }
    }
    expect(vault.persons.count().persons).toBe(0);
    vault.close();
  });

  it('the CSV import refuses a name with a right-to-left override, with the line and the field', async () => {
    const { vault, b } = await signedIn(HANDLER.login, HANDLER.password);
    await b.get('/imports');
    const csv = `種別,社員番号,氏名,個人番号\n従業員,E1,\u202Egpj.太郎,${syntheticNumber(41, 1)}\n従業員,E2,山田\u200B花子,${syntheticNumber(41, 2)}\n`;
    const res = await b.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from(csv));
    expect(res.status).toBe(422);
    const errors = res.body.errors as { line: number; message: string }[];
    expect(errors.map((e) => e.line)).toEqual([2, 3]);
    expect(errors[0]!.message).toMatch(/氏名に使えない文字（文字の向きを変える制御文字）/u);
    expect(errors[1]!.message).toMatch(/氏名に使えない文字（ゼロ幅スペースなどの目に見えない文字）/u);
    expect(vault.persons.count().persons).toBe(0);
    vault.close();
  });

  it('a user name, a request note and the company name refuse them too', async () => {
    const { vault, b } = await signedIn(ADMIN.login, ADMIN.password);
    await b.get('/admin/users');
    const users = vault.users.all().length;
    const u = await b.post('/admin/users', { login: 'liar', displayName: '管理\u2066者', role: 'handler', password: 'a long enough password' });
    expect(u.status).toBe(400);
    expect(u.text).toContain('氏名に使えない文字');
    expect(vault.users.all().length).toBe(users);

    await b.get('/admin/setup/company');
    const c = await b.post('/admin/setup/company', { companyName: '株式会社\u200Bサンプル' });
    expect(c.status).toBe(400);
    expect(c.text).toContain('会社名に使えない文字');

    await b.get('/entries/new');
    const e = await b.post('/entries', { purpose: 'entry_other', note: '点検\uFEFF' });
    expect(e.status).toBe(400);
    expect(e.text).toContain('メモに使えない文字');
    vault.close();
  });
});
