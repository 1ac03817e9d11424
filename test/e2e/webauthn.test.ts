import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { auditEvents } from '../helpers/audit.js';
import { openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { testApp } from '../helpers/web.js';

/**
 * The WebAuthn ceremonies in Chromium with its virtual authenticator (the
 * DevTools protocol's WebAuthn domain). WebAuthn needs a secure context, so the
 * app is served on loopback and reached as http://localhost, which is also the
 * RP ID (from the configured public URL, as in production).
 */
describe('a security key as the second factor, in Chromium with a virtual authenticator', () => {
  it('registers a key at the admin’s forced enrolment, signs in with it, and refuses a forged assertion (counted and audited)', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const base = `http://localhost:${port}`;
    server.on('request', testApp(vault, { publicUrl: base }));
    let browser: OpenBrowser | undefined;
    try {
      browser = await openBrowser({ label: 'webauthn', viewport: { width: 1100, height: 800 } });
      const p = browser.page;
      const cdp = await browser.context.newCDPSession(p);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });

      const signInWithPassword = async () => {
        await p.goto(`${base}/login`);
        await p.getByLabel('ユーザー名', { exact: true }).fill(ADMIN.login);
        await p.getByLabel('パスワード', { exact: true }).fill(ADMIN.password);
        await p.getByRole('button', { name: 'サインイン' }).click();
      };

      // Registration: the admin has no second factor, so the enrolment page is the only way on.
      await signInWithPassword();
      await p.waitForURL(`${base}/login/enrol`);
      await p.getByRole('button', { name: 'セキュリティキー・認証器を登録する' }).click();
      await p.waitForURL(`${base}/`);
      const creds = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
      expect(creds).toHaveLength(1);
      const admin = vault.users.byLogin(ADMIN.login)!;
      const stored = vault.secondFactor.credentialsOf(admin.id);
      expect(stored.map((c) => c.id)).toEqual([creds[0]!.credentialId.replace(/=+$/u, '').replace(/\+/gu, '-').replace(/\//gu, '_')]);
      expect(auditEvents(vault).filter((e) => e.action === 'auth.second_factor_enrolled').map((e) => e.detail.method)).toEqual(['webauthn']);

      // Sign-in: password, then the key.
      await p.getByRole('button', { name: 'サインアウト' }).click();
      await p.waitForURL(/\/login\?out=1$/u);
      await signInWithPassword();
      await p.waitForURL(`${base}/login/second-factor`);
      await p.getByRole('button', { name: 'セキュリティキー・この端末の認証器で確認する' }).click();
      await p.waitForURL(`${base}/`);
      expect(await p.getByRole('navigation').getByRole('link', { name: '利用者の管理' }).count()).toBe(1);
      const verified = auditEvents(vault).filter((e) => e.action === 'auth.second_factor_verified');
      expect(verified.map((e) => e.detail.method)).toEqual(['webauthn']);
      expect(vault.secondFactor.credentialsOf(admin.id)[0]!.lastUsedAt).not.toBeNull();

      // A forged assertion (the right credential id, a made-up signature) is refused, counted and audited.
      await p.getByRole('button', { name: 'サインアウト' }).click();
      await p.waitForURL(/\/login\?out=1$/u);
      await signInWithPassword();
      await p.waitForURL(`${base}/login/second-factor`);
      const forged = await p.evaluate(async (id) => {
        // Runs in the page: its document, typed here as much as this line uses.
        const page = globalThis as unknown as { document: { getElementById(id: string): { dataset: Record<string, string | undefined> } | null } };
        const csrf = page.document.getElementById('webauthn')!.dataset.csrf!;
        const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) });
        await post('/login/second-factor/webauthn/options', {});
        const r = await post('/login/second-factor/webauthn/verify', { response: { id, rawId: id, type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' }, clientExtensionResults: {} } });
        return { status: r.status, body: (await r.json()) as { ok: boolean; message: string } };
      }, stored[0]!.id);
      expect(forged.status).toBe(401);
      expect(forged.body.ok).toBe(false);
      expect(forged.body.message).toContain('セキュリティキーでの確認ができませんでした');
      expect(auditEvents(vault).filter((e) => e.action === 'auth.second_factor_failed').map((e) => e.detail)).toEqual([{ user_id: admin.id, method: 'webauthn', failures: 1 }]);
      expect(browser.problems.filter((x) => x.kind === 'csp' || x.kind === 'pageerror')).toEqual([]);
    } finally {
      await browser?.close();
      await new Promise((r) => server.close(r));
    }
  });
});
