import { describe, expect, it } from 'vitest';
import { auditEvents } from '../helpers/audit.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

async function setUp() {
  const { vault } = await newTestVault();
  await addStaff(vault);
  const app = testApp(vault);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  await admin.get('/admin/users');
  return { vault, app, admin, handlerId: vault.users.byLogin(HANDLER.login)!.id, auditorId: vault.users.byLogin(AUDITOR.login)!.id };
}

describe('accounts', () => {
  it('a user changes their own password: a wrong current one is refused beside its field and counted; the new one signs in, the old one no longer', async () => {
    const s = await setUp();
    const h = new Browser(s.app);
    await h.signIn(HANDLER.login, HANDLER.password);
    const page = await h.get('/account/password');
    expect(page.status).toBe(200);
    expect(page.text).toContain('今のパスワード');
    const wrong = await h.post('/account/password', { currentPassword: 'not my password', newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('今のパスワードが正しくありません。');
    expect(wrong.text).toContain('aria-describedby="currentPassword-error"');
    expect(s.vault.users.byId(s.handlerId)!.failedLogins).toBe(1);
    const mismatch = await h.post('/account/password', { currentPassword: HANDLER.password, newPassword: 'a brand new passphrase', confirmPassword: 'another passphrase!!' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('確認のパスワードが新しいパスワードと一致しません');
    const ok = await h.post('/account/password', { currentPassword: HANDLER.password, newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' });
    expect(ok.status).toBe(303);
    expect((await h.get(ok.headers.location!)).text).toContain('パスワードを変更しました。');
    expect(auditEvents(s.vault).some((e) => e.action === 'user.password_changed')).toBe(true);
    expect(auditEvents(s.vault).some((e) => e.action === 'user.password_change_refused')).toBe(true);
    expect((await new Browser(s.app).signIn(HANDLER.login, HANDLER.password)).status).toBe(401);
    expect((await new Browser(s.app).signIn(HANDLER.login, 'a brand new passphrase')).headers.location).toBe('/');
  });

  it("an admin's reset ends the user's sessions and forces a new password at the next sign-in before any other page opens", async () => {
    const s = await setUp();
    const h = new Browser(s.app);
    await h.signIn(HANDLER.login, HANDLER.password);
    const reset = await s.admin.post(`/admin/users/${s.handlerId}/password`, { password: 'temporary pass 123' });
    expect(reset.status).toBe(303);
    expect((await s.admin.get(reset.headers.location!)).text).toContain('仮のパスワードを設定しました。');
    expect((await h.get('/persons')).headers.location).toMatch(/^\/login/u);
    const again = new Browser(s.app);
    await again.signIn(HANDLER.login, 'temporary pass 123');
    for (const path of ['/', '/persons', '/gate/export/new', '/account/pin']) {
      const r = await again.get(path);
      expect(r.status, path).toBe(303);
      expect(r.headers.location).toBe('/account/password');
    }
    const forced = await again.get('/account/password');
    expect(forced.text).toContain('管理者がパスワードを再設定しました。');
    const changed = await again.post('/account/password', { currentPassword: 'temporary pass 123', newPassword: 'my own passphrase 9', confirmPassword: 'my own passphrase 9' });
    expect(changed.headers.location).toBe('/?password=changed');
    expect((await again.get('/persons')).status).toBe(200);
    expect(s.vault.users.byId(s.handlerId)!.mustChangePassword).toBe(false);
    const events = auditEvents(s.vault);
    expect(events.find((e) => e.action === 'user.password_reset')?.detail).toMatchObject({ user_id: s.handlerId });
    expect(events.find((e) => e.action === 'user.password_changed')?.detail).toMatchObject({ was_temporary: true });
  });

  it('a password reset refuses a short password beside its field and changes nothing', async () => {
    const s = await setUp();
    const before = s.vault.users.byId(s.handlerId)!.passwordHash;
    const r = await s.admin.post(`/admin/users/${s.handlerId}/password`, { password: 'short' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('パスワードは12文字以上にしてください。');
    expect(s.vault.users.byId(s.handlerId)!.passwordHash).toBe(before);
  });

  it("an admin edits a display name and role (audited, the user's sessions end); the last admin keeps the role and nobody changes their own", async () => {
    const s = await setUp();
    const a = new Browser(s.app);
    await a.signIn(AUDITOR.login, AUDITOR.password);
    const edit = await s.admin.get(`/admin/users/${s.auditorId}/edit`);
    expect(edit.text).toContain('監査 次郎');
    const saved = await s.admin.post(`/admin/users/${s.auditorId}/edit`, { displayName: '監査 三郎', role: 'handler' });
    expect(saved.status).toBe(303);
    const list = await s.admin.get(saved.headers.location!);
    expect(list.text).toContain('氏名・役割を変更しました。');
    expect(list.text).toContain('監査 三郎');
    expect(s.vault.users.byId(s.auditorId)).toMatchObject({ displayName: '監査 三郎', role: 'handler' });
    expect((await a.get('/')).headers.location).toMatch(/^\/login/u);
    expect(auditEvents(s.vault).find((e) => e.action === 'user.updated')?.detail).toMatchObject({ role_from: 'auditor', role_to: 'handler', display_name_to: '監査 三郎' });
    const adminId = s.vault.users.byLogin(ADMIN.login)!.id;
    const own = await s.admin.post(`/admin/users/${adminId}/edit`, { displayName: '管理 太郎', role: 'handler' });
    expect(own.status).toBe(400);
    expect(own.text).toContain('自分の役割は変えられません。');
    const bad = await s.admin.post(`/admin/users/${s.handlerId}/edit`, { displayName: '', role: 'handler' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('aria-describedby="displayName-error"');
  });

  it('the account links are in the header of every signed-in page, readable on the dark bar', async () => {
    const s = await setUp();
    const home = await s.admin.get('/');
    expect(home.text).toContain('href="/account/pin"');
    expect(home.text).toContain('href="/account/password"');
    const css = await s.admin.get('/static/app.css');
    expect(css.text).toMatch(/form\.signout a \{[^}]*color: #fff/u);
  });

  it('each users action ends on the list with a note saying what was done', async () => {
    const s = await setUp();
    const r = await s.admin.post(`/admin/users/${s.auditorId}/disable`);
    expect((await s.admin.get(r.headers.location!)).text).toContain('利用者を無効にしました。');
    const created = await s.admin.post('/admin/users', { login: 'newuser', displayName: '新 人', role: 'handler', password: 'new user password 1' });
    expect((await s.admin.get(created.headers.location!)).text).toContain('利用者を追加しました。');
  });

  it('a bad backup time returns to the backups page with the error beside the field and the typed value kept', async () => {
    const s = await setUp();
    const r = await s.admin.post('/admin/backups/schedule', { time: '25:00', keep: '7' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('定時バックアップの時刻は 00:00〜23:59 の形');
    expect(r.text).toContain('value="25:00"');
    expect(r.text).toContain('aria-describedby="time-error"');
    expect(r.text).toContain('action="/admin/backups/schedule"');
  });
});

describe('confirmations', () => {
  it('退職 with a past date asks first (nothing stored until confirmed); a future date is stored at once', async () => {
    const s = await setUp();
    await s.admin.get('/persons/new');
    const made = [];
    for (const [code, name] of [['E1', '山田 太郎'], ['E2', '佐藤 花子']]) made.push(Number((await s.admin.post('/persons', { kind: 'employee', code: code!, name: name! })).headers.location!.split('/').pop()));
    const [e1, e2] = made as [number, number];
    await s.admin.get(`/persons/${e1}`);
    const asked = await s.admin.post(`/persons/${e1}/retire`, { date: '2025-03-31' });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('過去の日付（2025年3月31日（令和7年））');
    expect(asked.text).toContain('name="date" value="2025-03-31"');
    expect(s.vault.persons.byId(e1)!.retiredOn).toBeNull();
    expect((await s.admin.post(`/persons/${e1}/retire`, { date: '2025-03-31', confirm: '1' })).status).toBe(303);
    expect(s.vault.persons.byId(e1)!.retiredOn).toBe('2025-03-31');
    expect((await s.admin.post(`/persons/${e2}/retire`, { date: '2026-04-30' })).status).toBe(303);
    expect(s.vault.persons.byId(e2)!.retiredOn).toBe('2026-04-30');
  });
});
