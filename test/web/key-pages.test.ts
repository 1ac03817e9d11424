import { describe, expect, it } from 'vitest';
import { auditEvents } from '../helpers/audit.js';
import { keyFromPin } from '../helpers/keys.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

describe('PINの変更 page', () => {
  it('lets a handler change their own PIN with the current PIN and the new one twice', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const b = new Browser(testApp(vault));
    await b.signIn(HANDLER.login, HANDLER.password);
    const home = await b.get('/persons');
    expect(home.text).toContain('href="/account/pin"');
    const page = await b.get('/account/pin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('今のPIN');

    const bad = await b.post('/account/pin', { currentPin: HANDLER.pin, newPin: '975310', confirmPin: '975311' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('一致しません');
    const wrong = await b.post('/account/pin', { currentPin: '111222', newPin: '975310', confirmPin: '975310' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('今のPINが正しくありません');

    const ok = await b.post('/account/pin', { currentPin: HANDLER.pin, newPin: '975310', confirmPin: '975310' });
    expect(ok.status).toBe(303);
    expect((await b.get(ok.headers.location!)).text).toContain('PINを変更しました');
    expect(await keyFromPin(vault, HANDLER.login, '975310')).toBeDefined();
    await expect(keyFromPin(vault, HANDLER.login, HANDLER.pin)).rejects.toMatchObject({ code: 'unauthorized' });
    const e = auditEvents(vault).at(-1)!;
    expect(e.action).toBe('slot.pin_changed');
    expect(JSON.stringify(e)).not.toContain('975310');
  });

  it('needs a signed-in user and a CSRF token', async () => {
    const { vault } = await newTestVault();
    const b = new Browser(testApp(vault));
    expect((await b.get('/account/pin')).status).toBe(303);
    await b.signIn(ADMIN.login, ADMIN.password);
    expect((await b.post('/account/pin', { currentPin: ADMIN.pin, newPin: '975310', confirmPin: '975310' }, 'bad')).status).toBe(403);
  });
});

describe('回復コードの再発行 page', () => {
  it('shows the new code once with no-store; only admins reach it', async () => {
    const { vault, recoveryCode } = await newTestVault();
    await addStaff(vault);
    const app = testApp(vault);
    for (const [login, password] of [[HANDLER.login, HANDLER.password], [AUDITOR.login, AUDITOR.password]] as const) {
      const other = new Browser(app);
      await other.signIn(login, password);
      expect((await other.get('/admin/recovery-code')).status).toBe(403);
    }
    const b = new Browser(app);
    await b.signIn(ADMIN.login, ADMIN.password);
    expect((await b.get('/admin/users')).text).toContain('href="/admin/recovery-code"');
    const form = await b.get('/admin/recovery-code');
    expect(form.text).toContain('今の回復コードの用紙は使えなくなります');
    expect((await b.post('/admin/recovery-code', { adminPin: '000999' })).status).toBe(400);
    const shown = await b.post('/admin/recovery-code', { adminPin: ADMIN.pin });
    expect(shown.status).toBe(200);
    expect(shown.headers['cache-control']).toContain('no-store');
    expect(shown.text).toContain('金庫に保管してください');
    const code = /<code>([0-9A-Z-]{39})<\/code>/u.exec(shown.text)![1]!;
    expect(code).not.toBe(recoveryCode);
    expect(auditEvents(vault).at(-1)!.action).toBe('slot.recovery_regenerated');
    expect(JSON.stringify(auditEvents(vault))).not.toContain(code);
  });
});
