import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, testApp } from '../helpers/web.js';

/** The success message of a page, if any. */
const doneOf = (html: string) => /<p class="notice" role="status" id="done">([^<]*)<\/p>/u.exec(html)?.[1] ?? null;

describe('success messages after the person page actions', () => {
  it('says what was done after registering, editing, adding a dependant, 退職 (after its confirmation) and a hold; shown once', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = new Browser(testApp(vault));
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    await b.get('/persons/new');
    const follow = async (r: { status: number; headers: Record<string, string | undefined> }) => {
      expect(r.status).toBe(303);
      return doneOf((await b.get(r.headers.location!)).text);
    };
    const created = await b.post('/persons', { kind: 'employee', code: 'E1', name: '青木 一郎', kana: 'アオキ イチロウ', birthDate: '1980-01-01' });
    expect(await follow(created)).toContain('登録しました');
    const id = /\/persons\/(\d+)/u.exec(created.headers.location!)![1]!;
    expect(await follow(await b.post(`/persons/${id}`, { kind: 'employee', code: 'E1', name: '青木 一朗', kana: 'アオキ イチロウ', birthDate: '1980-01-01' }))).toBe('変更を保存しました。');
    expect(await follow(await b.post(`/persons/${id}/dependants`, { name: '青木 花子', kana: '', relationship: '配偶者', birthDate: '1982-01-01' }))).toBe('扶養親族を登録しました。');
    // 退職 with a past date is asked once more; the answer to the confirmation says it was recorded.
    const asked = await b.post(`/persons/${id}/retire`, { date: '2026-03-31' });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('confirm-submit');
    expect(await follow(await b.post(`/persons/${id}/retire`, { date: '2026-03-31', confirm: '1' }))).toContain('退職（取引終了）の日を記録しました');
    expect(await follow(await b.post(`/persons/${id}/hold`, { reason: '訴訟のため' }))).toBe('廃棄の保留を設定しました。');
    // Once shown, it is gone; the URL never carried it.
    expect(doneOf((await b.get(`/persons/${id}`)).text)).toBeNull();
    expect(created.headers.location).toBe(`/persons/${id}`);
  });
});

describe('success messages after the ledger actions', () => {
  it('says 保存しました after a file is added to the 特定個人情報ファイル ledger', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = new Browser(testApp(vault));
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    await b.get('/admin/ledger');
    const added = await b.post('/admin/ledger/files', { name: '扶養控除等申告書（紙）', content: '申告書の原本', location: '人事課の施錠キャビネット', manager: '人事課長', note: '' });
    expect(added.status).toBe(303);
    expect((await b.get(added.headers.location!)).text).toContain('<p class="notice" role="status">保存しました。</p>');
  });
});
